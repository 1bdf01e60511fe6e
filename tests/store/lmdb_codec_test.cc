// The LMDB store's record encodings: round trips, numeric key order, and damage
// detection by checksum.
#include <gtest/gtest.h>

#include "lmdb_codec.h"

namespace gorch::store::internal {
namespace {

TEST(LmdbCodec, KvRoundTripsAndDetectsDamage) {
  KvRecord in{7, 42, 3, 99, "hello"};
  std::string enc = EncodeKv("/key", in);
  KvRecord out;
  ASSERT_TRUE(DecodeKv("/key", enc, &out).ok());
  EXPECT_EQ(out.create_revision, 7);
  EXPECT_EQ(out.mod_revision, 42);
  EXPECT_EQ(out.version, 3);
  EXPECT_EQ(out.lease, 99);
  EXPECT_EQ(out.value, "hello");
  EXPECT_TRUE(DecodeKv("/kez", enc, &out).IsCorruption());  // the key is covered too
  std::string damaged = enc;
  damaged.back() ^= 1;
  EXPECT_TRUE(DecodeKv("/key", damaged, &out).IsCorruption());
  EXPECT_TRUE(DecodeKv("/key", enc.substr(0, 10), &out).IsCorruption());
}

TEST(LmdbCodec, EventsRoundTrip) {
  const std::string value("v\0w", 3);  // EventRecord holds views: keep the bytes alive
  EventRecord put{EventType::kPut, "/k", 5, 2, 0, value};
  EventRecord out;
  const std::string put_enc = EncodeEvent(put);  // out views into it
  ASSERT_TRUE(DecodeEvent(put_enc, &out).ok());
  EXPECT_EQ(out.type, EventType::kPut);
  EXPECT_EQ(out.key, "/k");
  EXPECT_EQ(out.create_revision, 5);
  EXPECT_EQ(out.version, 2);
  EXPECT_EQ(out.value, std::string("v\0w", 3));

  EventRecord del;
  del.type = EventType::kDelete;
  del.key = "/gone";
  std::string enc = EncodeEvent(del);
  ASSERT_TRUE(DecodeEvent(enc, &out).ok());
  EXPECT_EQ(out.type, EventType::kDelete);
  EXPECT_EQ(out.key, "/gone");
  enc[6] ^= 0x40;
  EXPECT_TRUE(DecodeEvent(enc, &out).IsCorruption());
}

TEST(LmdbCodec, RevisionKeysSortNumerically) {
  EXPECT_LT(EncodeHistoryKey(255, 0), EncodeHistoryKey(256, 0));
  EXPECT_LT(EncodeHistoryKey(1, 7), EncodeHistoryKey(2, 0));
  EXPECT_LT(EncodeHistoryKey(2, 0), EncodeHistoryKey(2, 1));
  EXPECT_LT(EncodeKeyRev({65535, 0, EventType::kDelete}), EncodeKeyRev({65536, 0, EventType::kPut}));
  int64_t rev = 0;
  uint32_t sub = 0;
  ASSERT_TRUE(DecodeHistoryKey(EncodeHistoryKey(int64_t(1) << 40, 9), &rev, &sub));
  EXPECT_EQ(rev, int64_t(1) << 40);
  EXPECT_EQ(sub, 9u);
  KeyRevEntry e;
  ASSERT_TRUE(DecodeKeyRev(EncodeKeyRev({123, 4, EventType::kDelete}), &e));
  EXPECT_EQ(e.revision, 123);
  EXPECT_EQ(e.sub, 4u);
  EXPECT_EQ(e.type, EventType::kDelete);
  EXPECT_EQ(EncodeKeyRev(e).size(), kKeyRevSize);
}

}  // namespace
}  // namespace gorch::store::internal

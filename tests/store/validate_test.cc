// Request validation and key-range helpers shared by both backends.
#include <gtest/gtest.h>

#include "gorch/store/store.h"
#include "key_range.h"

namespace gorch::store {
namespace {

TEST(PrefixEnd, IncrementsTheLastByteThatCan) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
}

TEST(RangeRequest, PrefixOfNothingMeansEveryKey) {
  RangeRequest all = RangeRequest::Prefix("");
  EXPECT_EQ(all.key, std::string(1, '\0'));
  EXPECT_EQ(all.range_end, std::string(1, '\0'));
  EXPECT_TRUE(internal::InRange("/anything", all.key, all.range_end));
}

TEST(KeyRange, SingleKeyHalfOpenAndFromKey) {
  using internal::InRange;
  EXPECT_TRUE(InRange("a", "a", ""));
  EXPECT_FALSE(InRange("ab", "a", ""));
  EXPECT_TRUE(InRange("b", "a", "c"));
  EXPECT_FALSE(InRange("c", "a", "c"));
  EXPECT_TRUE(InRange("zzz", "a", std::string(1, '\0')));
  EXPECT_FALSE(InRange("0", "a", std::string(1, '\0')));
  EXPECT_TRUE(internal::PastEnd("c", "a", "c"));
  EXPECT_FALSE(internal::PastEnd("\xff", "a", std::string(1, '\0')));
}

TEST(Validate, KeysMustBeNonEmptyAndShortEnough) {
  EXPECT_TRUE(ValidatePut(PutRequest{"", "v"}).IsInvalidArgument());
  EXPECT_TRUE(ValidatePut(PutRequest{std::string(kMaxKeyBytes, 'k'), "v"}).ok());
  Status s = ValidatePut(PutRequest{std::string(kMaxKeyBytes + 1, 'k'), "v"});
  EXPECT_TRUE(s.IsResourceExhausted());
  EXPECT_NE(s.message().find("511"), std::string::npos) << s.message();
}

TEST(Validate, RequestSizeLimitIsEtcds) {
  EXPECT_TRUE(ValidatePut(PutRequest{"k", std::string(kMaxRequestBytes - 1, 'v')}).ok());
  EXPECT_TRUE(ValidatePut(PutRequest{"k", std::string(kMaxRequestBytes, 'v')}).IsResourceExhausted());
  TxnRequest t;
  for (int i = 0; i < 3; ++i) t.success.push_back(Op::Put("k" + std::to_string(i), std::string(kMaxRequestBytes / 3, 'v')));
  EXPECT_TRUE(ValidateTxn(t).IsResourceExhausted());
}

TEST(Validate, RangesMustRunForward) {
  RangeRequest r;
  r.key = "b";
  r.range_end = "a";
  EXPECT_TRUE(ValidateRange(r).IsInvalidArgument());
  r.range_end = "b";  // empty range
  EXPECT_TRUE(ValidateRange(r).IsInvalidArgument());
  r.range_end = "c";
  EXPECT_TRUE(ValidateRange(r).ok());
  r.range_end = std::string(1, '\0');
  EXPECT_TRUE(ValidateRange(r).ok());
  r.revision = -1;
  EXPECT_TRUE(ValidateRange(r).IsInvalidArgument());
  DeleteRequest d;
  d.key = "z";
  d.range_end = "a";
  EXPECT_TRUE(ValidateDelete(d).IsInvalidArgument());
  WatchRequest w;
  w.key = "a";
  w.start_revision = -5;
  EXPECT_TRUE(ValidateWatch(w).IsInvalidArgument());
}

TEST(Validate, TxnBranchesFollowEtcdsRules) {
  TxnRequest ok;
  ok.success = {Op::Put("a", "1"), Op::Put("b", "2"), Op::Delete(DeleteRequest::Key("c"))};
  ok.failure = {Op::Put("a", "3")};  // the other branch may reuse a key
  EXPECT_TRUE(ValidateTxn(ok).ok());

  TxnRequest dup;
  dup.success = {Op::Put("a", "1"), Op::Put("a", "2")};
  EXPECT_TRUE(ValidateTxn(dup).IsInvalidArgument());

  TxnRequest overlap;
  overlap.failure = {Op::Put("p/1", "1"), Op::Delete(DeleteRequest::Prefix("p/"))};
  EXPECT_TRUE(ValidateTxn(overlap).IsInvalidArgument());

  TxnRequest many;
  for (size_t i = 0; i <= kMaxTxnOps; ++i) many.success.push_back(Op::Range(RangeRequest::Key("k")));
  EXPECT_TRUE(ValidateTxn(many).IsResourceExhausted());

  TxnRequest bad_compare;
  bad_compare.compare.push_back(Compare::Version("", Compare::Op::kEqual, 0));
  EXPECT_TRUE(ValidateTxn(bad_compare).IsInvalidArgument());
}

}  // namespace
}  // namespace gorch::store

// Crc32 must equal zlib's crc32 for every length, alignment and start value:
// records written with one are checked with the other.
#include "crc32.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace gorch::store::internal {
namespace {

TEST(Crc32Test, EqualsZlibForEveryLengthAlignmentAndStartValue) {
  std::mt19937_64 rng(42);
  std::string buf(5000, '\0');
  for (char& c : buf) c = char(rng());
  for (size_t n = 0; n <= 1100; ++n) {
    for (size_t offset : {size_t(0), size_t(1), size_t(7), size_t(13)}) {
      const uint32_t start = n % 3 == 0 ? 0 : uint32_t(rng());
      const auto* p = reinterpret_cast<const unsigned char*>(buf.data() + offset);
      ASSERT_EQ(Crc32(start, p, n), uint32_t(crc32_z(start, p, n))) << "length " << n << " offset " << offset;
    }
  }
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
  EXPECT_EQ(Crc32(0, p, buf.size()), uint32_t(crc32_z(0, p, buf.size())));
}

TEST(Crc32Test, KnownValueAndChaining) {
  // The CRC-32 check value: "123456789" -> 0xCBF43926.
  EXPECT_EQ(Crc32(0, std::string_view("123456789")), 0xCBF43926u);
  std::string a(100, 'a'), b(77, 'b');
  EXPECT_EQ(Crc32(Crc32(0, a), b), Crc32(0, a + b));
}

}  // namespace
}  // namespace gorch::store::internal

#include "crc32.h"

#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gorch::store::internal {
namespace {

uint32_t ZlibCrc32(uint32_t crc, const unsigned char* p, size_t n) {
  return uint32_t(crc32_z(crc, p, n));
}

#if defined(__x86_64__)

// x^n mod P, bit-reflected and shifted left by one (the form carry-less
// multiplication of reflected operands needs), for the fold distances used.
constexpr uint64_t kX544 = 0x154442bd4;  // folding by 512 bits: the low half
constexpr uint64_t kX480 = 0x1c6e41596;  // ... the high half
constexpr uint64_t kX160 = 0x1751997d0;  // folding by 128 bits: the low half
constexpr uint64_t kX96 = 0x0ccaa009e;   // ... the high half

__attribute__((target("pclmul,sse4.1"))) inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i Load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// REQUIRES: n >= 64.
__attribute__((target("pclmul,sse4.1"))) uint32_t FoldingCrc32(uint32_t crc, const unsigned char* p, size_t n) {
  const __m128i k512 = _mm_set_epi64x(int64_t(kX480), int64_t(kX544));
  const __m128i k128 = _mm_set_epi64x(int64_t(kX96), int64_t(kX160));
  // The register's start value (zlib inverts the crc on the way in) goes into the
  // message's first four bytes; folding then keeps the remainder of the message
  // unchanged while shortening it.
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(int(~crc)));
  __m128i x1 = Load(p + 16), x2 = Load(p + 32), x3 = Load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x0 = Fold(x0, k512, Load(p));
    x1 = Fold(x1, k512, Load(p + 16));
    x2 = Fold(x2, k512, Load(p + 32));
    x3 = Fold(x3, k512, Load(p + 48));
  }
  x0 = Fold(x0, k128, x1);
  x0 = Fold(x0, k128, x2);
  x0 = Fold(x0, k128, x3);
  for (; n >= 16; p += 16, n -= 16) x0 = Fold(x0, k128, Load(p));
  // The 16 folded bytes and the tail have the message's remainder with a zero
  // start value: zlib's crc32 started from ~0 (its inversion makes that zero)
  // finishes it, inversion out included.
  alignas(16) unsigned char folded[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(folded), x0);
  uint32_t c = ZlibCrc32(0xffffffffu, folded, 16);
  return ZlibCrc32(c, p, n);
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}

#endif

}  // namespace

uint32_t Crc32(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (n >= 64 && HasPclmul()) return FoldingCrc32(crc, p, n);
#endif
  return ZlibCrc32(crc, p, n);
}

}  // namespace gorch::store::internal

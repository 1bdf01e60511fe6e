// CRC-32 (zlib's: polynomial 0x04C11DB7, reflected, inverted in and out), the
// checksum of every store record and log record. Crc32(crc, data, n) equals
// zlib's crc32(crc, data, n), so records written before and after it agree.
//
// Why not zlib's: perf put zlib's crc32 at 11 % of the write path's CPU (two
// record checksums per put in the committer, and the log record's in the syncer).
// On x86-64 with PCLMULQDQ this folds 64 bytes per step with carry-less
// multiplication (the method of Intel's "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ"), then lets zlib finish the last 16-31 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gorch::store::internal {

uint32_t Crc32(uint32_t crc, const void* data, size_t n);

inline uint32_t Crc32(uint32_t crc, std::string_view data) { return Crc32(crc, data.data(), data.size()); }

}  // namespace gorch::store::internal

// Key-range rules shared by the backends (etcd's): range_end empty means the single
// key, "\0" means every key >= key, otherwise the half-open [key, range_end).
#pragma once

#include <string_view>

namespace gorch::store::internal {

inline bool IsAllFrom(std::string_view range_end) {
  return range_end.size() == 1 && range_end[0] == '\0';
}

// True when `key` falls in the range {begin, range_end}.
inline bool InRange(std::string_view key, std::string_view begin, std::string_view range_end) {
  if (range_end.empty()) return key == begin;
  if (key < begin) return false;
  return IsAllFrom(range_end) || key < range_end;
}

// True when `key` is past the end of the range (so a forward scan can stop).
inline bool PastEnd(std::string_view key, std::string_view begin, std::string_view range_end) {
  if (range_end.empty()) return key > begin;
  if (IsAllFrom(range_end)) return false;
  return key >= range_end;
}

}  // namespace gorch::store::internal

// The wall clock as RFC 3339 UTC with seconds ("2026-11-23T17:30:00Z"), the form
// Kubernetes objects carry in metadata.creationTimestamp and conditions.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace gorch::engine {

inline std::string NowRfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gorch::engine

// Helpers for the store tests: a temporary directory, and assertions on Status and
// Result<T>.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "gorch/base/status.h"

namespace gorch::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/gorch-store-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace gorch::store::testing

#define GORCH_ASSERT_OK(expr)                                                  \
  do {                                                                         \
    const auto& gorch_r_ = (expr);                                             \
    ASSERT_TRUE(::gorch::store::testing::StatusOf(gorch_r_).ok())              \
        << #expr << ": " << ::gorch::store::testing::StatusOf(gorch_r_).ToString(); \
  } while (0)

#define GORCH_CONCAT_INNER(a, b) a##b
#define GORCH_CONCAT(a, b) GORCH_CONCAT_INNER(a, b)

// auto var = value of `expr`, or fail the test.
#define GORCH_ASSIGN_OR_FAIL(var, expr)                                             \
  auto GORCH_CONCAT(gorch_result_, __LINE__) = (expr);                              \
  ASSERT_TRUE(GORCH_CONCAT(gorch_result_, __LINE__).ok())                           \
      << #expr << ": " << GORCH_CONCAT(gorch_result_, __LINE__).status().ToString(); \
  auto var = std::move(GORCH_CONCAT(gorch_result_, __LINE__)).value()

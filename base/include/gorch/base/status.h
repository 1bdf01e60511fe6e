// Status and Result<T>: how every module boundary reports failure (STYLE.md §4).
//
// A Status is cheap to copy when ok (no allocation). Named constructors say what
// went wrong; callers test with ok() or the Is*() predicates. Exceptions from
// third-party libraries are caught at the edge that calls them and become a Status.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gorch {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kInvalidArgument,
    kAlreadyExists,
    kFailedPrecondition,  // e.g. a stale plan, a compare that did not hold
    kCorruption,
    kIOError,
    kUnavailable,         // a peer (etcd, containerd, server) cannot be reached
    kResourceExhausted,   // a limit was hit (size, depth, time)
    kCompacted,           // a revision that history no longer holds
    kAborted,
    kInternal,
  };

  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }
  static Status FailedPrecondition(std::string_view msg) { return Status(Code::kFailedPrecondition, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Unavailable(std::string_view msg) { return Status(Code::kUnavailable, msg); }
  static Status ResourceExhausted(std::string_view msg) { return Status(Code::kResourceExhausted, msg); }
  static Status Compacted(std::string_view msg) { return Status(Code::kCompacted, msg); }
  static Status Aborted(std::string_view msg) { return Status(Code::kAborted, msg); }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsFailedPrecondition() const { return code_ == Code::kFailedPrecondition; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsResourceExhausted() const { return code_ == Code::kResourceExhausted; }
  bool IsCompacted() const { return code_ == Code::kCompacted; }

  // The message without the code's name; empty when ok.
  const std::string& message() const {
    static const std::string kEmpty;
    return msg_ ? *msg_ : kEmpty;
  }

  // "NotFound: key /pods/default/web-0" or "OK".
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(CodeName(code_)) + ": " + message();
  }

  static std::string_view CodeName(Code c) {
    switch (c) {
      case Code::kOk: return "OK";
      case Code::kNotFound: return "NotFound";
      case Code::kInvalidArgument: return "InvalidArgument";
      case Code::kAlreadyExists: return "AlreadyExists";
      case Code::kFailedPrecondition: return "FailedPrecondition";
      case Code::kCorruption: return "Corruption";
      case Code::kIOError: return "IOError";
      case Code::kUnavailable: return "Unavailable";
      case Code::kResourceExhausted: return "ResourceExhausted";
      case Code::kCompacted: return "Compacted";
      case Code::kAborted: return "Aborted";
      case Code::kInternal: return "Internal";
    }
    return "Unknown";
  }

 private:
  Status(Code code, std::string_view msg)
      : code_(code), msg_(std::make_shared<const std::string>(msg)) {}

  Code code_ = Code::kOk;
  std::shared_ptr<const std::string> msg_;  // null when ok
};

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT
  // REQUIRES: !status.ok() when constructing from a Status.

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace gorch

// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define GORCH_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::gorch::Status gorch_status_ = (expr);  \
    if (!gorch_status_.ok()) return gorch_status_; \
  } while (0)

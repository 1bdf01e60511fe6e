// Source locations and diagnostics, shared by the Gorch language and the compiler.
//
// Every problem of a run is collected (never stop at the first) and printed as
//   file:line:col: error[CODE]: message
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gorch::lang {

// Interns a file name and returns a pointer that stays valid for the process's
// lifetime. Thread-safe. Equal names give equal pointers, so SourcePos stays small.
const char* InternFileName(std::string_view name);

// A point in a source file. line and col are 1-based; 0 means "unknown".
struct SourcePos {
  const char* file = "";  // interned (InternFileName); never null
  uint32_t line = 0;
  uint32_t col = 0;

  bool known() const { return line != 0; }
  // "file:line:col", "file:line" or "file" depending on what is known.
  std::string ToString() const;
  friend bool operator==(const SourcePos& a, const SourcePos& b) {
    return a.file == b.file && a.line == b.line && a.col == b.col;
  }
};

enum class Severity : unsigned char { kError, kWarning, kInfo };
std::string_view SeverityName(Severity s);  // "error", "warning", "info"

struct Diagnostic {
  SourcePos pos;
  Severity severity = Severity::kError;
  std::string code;     // stable, e.g. "E0102" or "unknown-field"; shown as error[CODE]
  std::string message;  // one line, names the offending value

  // "file:line:col: error[CODE]: message"
  std::string ToString() const;
};

// Collects diagnostics in the order reported. Not thread-safe: give each worker
// its own and Merge() them in a deterministic order.
class Diagnostics {
 public:
  void Report(Diagnostic d);
  void Error(SourcePos pos, std::string code, std::string message);
  void Warning(SourcePos pos, std::string code, std::string message);
  void Info(SourcePos pos, std::string code, std::string message);
  void Merge(Diagnostics&& other);

  bool HasErrors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  size_t warning_count() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  // Stable sort by file, line, col (then insertion order).
  void SortByPosition();

 private:
  std::vector<Diagnostic> items_;
  size_t error_count_ = 0;
};

}  // namespace gorch::lang

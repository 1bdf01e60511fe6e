#include "gorch/lang/diagnostic.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_set>

namespace gorch::lang {

const char* InternFileName(std::string_view name) {
  // Node-based set: element addresses never move, so c_str() stays valid.
  static std::mutex mu;
  static auto* names = new std::unordered_set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  return names->emplace(name).first->c_str();
}

std::string SourcePos::ToString() const {
  std::string out = file ? file : "";
  if (line == 0) return out;
  out += ':' + std::to_string(line);
  if (col != 0) out += ':' + std::to_string(col);
  return out;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "error";
}

std::string Diagnostic::ToString() const {
  std::string out = pos.ToString();
  if (!out.empty()) out += ": ";
  out += SeverityName(severity);
  if (!code.empty()) out += "[" + code + "]";
  out += ": ";
  out += message;
  return out;
}

void Diagnostics::Report(Diagnostic d) {
  if (d.severity == Severity::kError) ++error_count_;
  items_.push_back(std::move(d));
}

void Diagnostics::Error(SourcePos pos, std::string code, std::string message) {
  Report({pos, Severity::kError, std::move(code), std::move(message)});
}
void Diagnostics::Warning(SourcePos pos, std::string code, std::string message) {
  Report({pos, Severity::kWarning, std::move(code), std::move(message)});
}
void Diagnostics::Info(SourcePos pos, std::string code, std::string message) {
  Report({pos, Severity::kInfo, std::move(code), std::move(message)});
}

void Diagnostics::Merge(Diagnostics&& other) {
  for (auto& d : other.items_) Report(std::move(d));
  other.items_.clear();
  other.error_count_ = 0;
}

size_t Diagnostics::warning_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kWarning; });
}

void Diagnostics::SortByPosition() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    int c = std::string_view(a.pos.file).compare(b.pos.file);
    if (c != 0) return c < 0;
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.col < b.pos.col;
  });
}

}  // namespace gorch::lang

// Runs the generated ANTLR lexer and parser over one text and turns every syntax
// error into a Diagnostic at file:line:col. Private to lang/src: the only place
// (with the builders) that sees ANTLR types.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "GorchLexer.h"
#include "GorchParser.h"
#include "antlr4-runtime.h"
#include "gorch/lang/diagnostic.h"

namespace gorch::lang::internal {

// Maps ANTLR token positions (1-based line, 0-based char in line) to SourcePos,
// for a text that starts at `start` in its file.
class PosMap {
 public:
  PosMap(const char* file, SourcePos start) : file_(file), start_(start) {}
  SourcePos At(size_t line, size_t char_in_line) const;
  SourcePos At(const antlr4::Token* token) const;
  const char* file() const { return file_; }

 private:
  const char* file_;
  SourcePos start_;
};

// Limits that keep hostile input from exhausting the stack or memory.
inline constexpr size_t kMaxSchemaFileBytes = 8u << 20;
inline constexpr size_t kMaxExpressionBytes = 1u << 20;
inline constexpr int kMaxNesting = 96;  // brackets, prefix operators, ternaries

class ParseDriver {
 public:
  ParseDriver(std::string_view text, PosMap pos, Diagnostics& diags);
  ~ParseDriver();

  // Parses with `rule` (e.g. &GorchParser::file): first fast (SLL, bail out on
  // the first error), then, if that failed, again with full LL and error
  // recovery, reporting every syntax error. Returns null if the text was
  // rejected before parsing (not UTF-8, too large, nested too deeply).
  template <typename Ctx>
  Ctx* Parse(Ctx* (gorch_antlr::GorchParser::*rule)());

  size_t syntax_errors() const { return error_tokens_.size(); }
  // Token indexes at which syntax errors were reported.
  const std::vector<size_t>& error_tokens() const { return error_tokens_; }
  // True if an error was reported at a token index in [first, last].
  bool HasErrorIn(size_t first, size_t last) const;
  // The `///` documentation right before `token`, without the slashes.
  std::string DocBefore(const antlr4::Token* token);
  const PosMap& pos() const { return pos_; }
  antlr4::TokenStream* parser_tokens() { return tokens_.get(); }
  Diagnostics& diags() { return diags_; }

  // ANTLR's C++ runtime shares its DFA caches between parser instances without
  // full thread safety, so parsing is serialized process-wide.
  static std::mutex& Mutex();

 private:
  class ErrorListener;
  bool Prepare();
  void UseFastMode();
  void UseCarefulMode();

  PosMap pos_;
  Diagnostics& diags_;
  std::string text_;
  std::unique_ptr<antlr4::ANTLRInputStream> input_;
  std::unique_ptr<gorch_antlr::GorchLexer> lexer_;
  std::unique_ptr<antlr4::CommonTokenStream> tokens_;
  std::unique_ptr<gorch_antlr::GorchParser> parser_;
  std::unique_ptr<ErrorListener> listener_;
  std::vector<size_t> error_tokens_;
};

template <typename Ctx>
Ctx* ParseDriver::Parse(Ctx* (gorch_antlr::GorchParser::*rule)()) {
  if (!Prepare()) return nullptr;
  UseFastMode();
  try {
    return (parser_.get()->*rule)();
  } catch (const antlr4::ParseCancellationException&) {
    // Fall through to the careful parse, which reports the errors.
  }
  UseCarefulMode();
  return (parser_.get()->*rule)();
}

// Decodes the text of a STRING token (with its quotes). Reports a bad escape at
// its own position and returns false.
bool UnquoteString(const antlr4::Token* token, const PosMap& pos, Diagnostics& diags,
                   std::string* out);

}  // namespace gorch::lang::internal

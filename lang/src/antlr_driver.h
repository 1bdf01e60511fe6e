// Runs the generated ANTLR lexer and parser over one text and turns every syntax
// error into a Diagnostic at file:line:col. Private to lang/src: the only place
// (with the builders) that sees ANTLR types.
#pragma once

#include <cstdint>
#include <deque>
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
  // One parse tree and the tokens it was parsed from.
  struct Unit {
    antlr4::ParserRuleContext* tree = nullptr;  // of the rule passed to Parse()
    antlr4::CommonTokenStream* tokens = nullptr;
    std::vector<size_t> error_tokens;  // indexes in `tokens` where errors were reported
    // True if an error was reported at a token index in [first, last].
    bool HasErrorIn(size_t first, size_t last) const;
  };
  using Rule = antlr4::ParserRuleContext* (*)(gorch_antlr::GorchParser&);

  ParseDriver(std::string_view text, PosMap pos, Diagnostics& diags);
  ~ParseDriver();

  // Parses the text with `rule`: first fast (SLL, bail out at the first error),
  // and if that fails, again with full LL and error recovery. In that careful
  // pass, with split_declarations the text is cut at each top-level declaration
  // and every piece is parsed alone, so an error cannot swallow the declarations
  // after it; only the first error of each piece is reported (the rest are
  // usually its echoes). Returns false if the text was rejected before parsing
  // (not UTF-8, nested too deeply); the reason is reported.
  bool Parse(Rule rule, bool split_declarations);

  // References stay valid while the driver lives (units are only appended).
  std::deque<Unit>& units() { return units_; }
  size_t syntax_errors() const { return syntax_errors_; }
  // The `///` documentation right before `token` in unit, without the slashes.
  std::string DocBefore(const Unit& unit, const antlr4::Token* token) const;
  const PosMap& pos() const { return pos_; }
  Diagnostics& diags() { return diags_; }
  // A policy file: syntax errors at the top level expect `policy`, not `type`.
  void set_policy_file(bool policy_file) { policy_file_ = policy_file; }

  // ANTLR's C++ runtime shares its DFA caches between parser instances without
  // full thread safety, so parsing is serialized process-wide.
  static std::mutex& Mutex();

 private:
  class ErrorListener;
  struct Piece;  // the token source, stream and parser of one careful unit

  bool Prepare();
  // Token index ranges [begin, end) of the top-level declarations.
  std::vector<std::pair<size_t, size_t>> SplitDeclarations() const;
  void ParsePiece(Rule rule, size_t begin, size_t end);

  PosMap pos_;
  Diagnostics& diags_;
  std::string text_;
  std::unique_ptr<antlr4::ANTLRInputStream> input_;
  std::unique_ptr<gorch_antlr::GorchLexer> lexer_;
  std::unique_ptr<antlr4::CommonTokenStream> tokens_;
  std::unique_ptr<gorch_antlr::GorchParser> parser_;
  std::vector<std::unique_ptr<Piece>> pieces_;
  std::deque<Unit> units_;
  size_t syntax_errors_ = 0;
  bool policy_file_ = false;
};

// Decodes the text of a STRING token (with its quotes). Reports a bad escape at
// its own position and returns false.
bool UnquoteString(const antlr4::Token* token, const PosMap& pos, Diagnostics& diags,
                   std::string* out);

}  // namespace gorch::lang::internal

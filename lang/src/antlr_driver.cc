#include "antlr_driver.h"

#include <algorithm>
#include <cstdio>

namespace gorch::lang::internal {

using gorch_antlr::GorchLexer;
using gorch_antlr::GorchParser;

SourcePos PosMap::At(size_t line, size_t char_in_line) const {
  SourcePos p;
  p.file = file_;
  if (line <= 1) {
    p.line = start_.line;
    p.col = start_.col + static_cast<uint32_t>(char_in_line);
  } else {
    p.line = start_.line + static_cast<uint32_t>(line - 1);
    p.col = static_cast<uint32_t>(char_in_line + 1);
  }
  return p;
}

SourcePos PosMap::At(const antlr4::Token* token) const {
  if (!token) return SourcePos{file_, start_.line, start_.col};
  return At(token->getLine(), token->getCharPositionInLine());
}

namespace {

// How a token reads in a message: 'foo', end of file, character '#'.
std::string DescribeToken(const antlr4::Token* t) {
  if (!t) return "end of file";
  std::string text = t->getText();
  // A piece of a split file ends with an EOF token that has the text of the
  // next declaration's keyword.
  if (t->getType() == antlr4::Token::EOF)
    return text.empty() || text == "<EOF>" ? "end of file" : "'" + text + "'";
  if (t->getType() == GorchLexer::BAD_CHAR) {
    unsigned char c = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
    if (c < 0x20 || c == 0x7f) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "character \\x%02x", c);
      return buf;
    }
    return "character '" + text + "'";
  }
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return "'" + text + "'";
}

// policies: the text is a policy file, so at the top level `policy` is what is
// expected (and in a schema file `type`, `kind` or `deprecated`).
std::string DescribeExpected(GorchParser* parser, bool policies) {
  antlr4::misc::IntervalSet expected;
  try {
    expected = parser->getExpectedTokens();
  } catch (const std::exception&) {
    return "";
  }
  if (expected.contains(static_cast<ssize_t>(GorchParser::KW_POLICY)) &&
      expected.contains(static_cast<ssize_t>(GorchParser::KW_TYPE))) {
    if (policies) {
      for (size_t type : {GorchParser::KW_TYPE, GorchParser::KW_KIND, GorchParser::KW_DEPRECATED})
        expected.remove(static_cast<ssize_t>(type));
    } else {
      expected.remove(static_cast<ssize_t>(GorchParser::KW_POLICY));
    }
  }
  if (expected.size() == 0) return "";
  auto has = [&](size_t type) { return expected.contains(static_cast<ssize_t>(type)); };
  bool name = has(GorchParser::IDENT);
  bool str = has(GorchParser::STRING);
  if (name && str && has(GorchParser::INT)) return "; expected an expression";
  if (name && str && expected.size() <= 8) return "; expected a type";
  if (expected.size() > 6) {
    // At the very end, what is missing is most likely a closing bracket.
    if (parser->getCurrentToken()->getType() == antlr4::Token::EOF) {
      for (const char* close : {"'}'", "')'", "']'"}) {
        for (size_t type : expected.toList())
          if (parser->getVocabulary().getLiteralName(type) == close)
            return std::string("; expected ") + close;
      }
    }
    return "";
  }
  std::vector<std::string> names;
  for (size_t type : expected.toList()) {
    switch (type) {
      case antlr4::Token::EOF: names.push_back("end of file"); break;
      case GorchParser::IDENT: names.push_back("a name"); break;
      case GorchParser::STRING: names.push_back("a string"); break;
      case GorchParser::INT: names.push_back("an integer"); break;
      case GorchParser::FLOAT: names.push_back("a number"); break;
      default: {
        std::string lit = parser->getVocabulary().getLiteralName(type);
        if (lit.empty()) return "";  // an unnamed token: better say nothing
        names.push_back(lit);
      }
    }
  }
  std::string out = "; expected ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

class ParseDriver::ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(ParseDriver& driver, Unit& unit) : driver_(driver), unit_(unit) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t char_in_line, const std::string& msg, std::exception_ptr) override {
    // The first error of a unit is the real one; later ones are mostly echoes of
    // the recovery. They still mark the unit as broken.
    unit_.error_tokens.push_back(offending ? offending->getTokenIndex() : 0);
    if (unit_.error_tokens.size() > 1) return;
    ++driver_.syntax_errors_;
    std::string message;
    size_t type = offending ? offending->getType() : antlr4::Token::EOF;
    if (type == GorchLexer::UNTERMINATED_STRING) {
      message = "unterminated string (missing closing '\"' on this line)";
    } else if (type == GorchLexer::UNTERMINATED_COMMENT) {
      message = "unterminated block comment (missing '*/')";
    } else if (msg.rfind("missing ", 0) == 0 && msg.find(" at ") != std::string::npos) {
      // ANTLR: "missing ':' at 'int'".
      std::string what = msg.substr(8, msg.find(" at ") - 8);
      message = "syntax error: missing " + what + " before " + DescribeToken(offending);
    } else {
      message = "syntax error: unexpected " + DescribeToken(offending);
      if (auto* parser = dynamic_cast<GorchParser*>(recognizer))
        message += DescribeExpected(parser, driver_.policy_file_);
    }
    driver_.diags_.Error(driver_.pos_.At(line, char_in_line), "syntax", message);
  }

 private:
  ParseDriver& driver_;
  Unit& unit_;
};

struct ParseDriver::Piece {
  std::unique_ptr<antlr4::ListTokenSource> source;
  std::unique_ptr<antlr4::CommonTokenStream> stream;
  std::unique_ptr<GorchParser> parser;
  std::unique_ptr<ErrorListener> listener;
};

bool ParseDriver::Unit::HasErrorIn(size_t first, size_t last) const {
  return std::any_of(error_tokens.begin(), error_tokens.end(),
                     [&](size_t i) { return i >= first && i <= last; });
}

std::mutex& ParseDriver::Mutex() {
  static std::mutex mu;
  return mu;
}

ParseDriver::ParseDriver(std::string_view text, PosMap pos, Diagnostics& diags)
    : pos_(pos), diags_(diags), text_(text) {}

ParseDriver::~ParseDriver() = default;

namespace {

// Reports the first byte that is not valid UTF-8 (ANTLR's decoder would throw).
bool CheckUtf8(std::string_view s, const PosMap& pos, Diagnostics& diags) {
  size_t line = 1, col = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok && len == 2) ok = c >= 0xC2;                                           // overlong
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogate
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!ok) {
      diags.Error(pos.At(line, col), "syntax", "text is not valid UTF-8");
      return false;
    }
    if (c == '\n') ++line, col = 0;
    else ++col;
    i += len;
  }
  return true;
}

bool IsOperandEnd(const antlr4::Token* t) {
  switch (t->getType()) {
    case GorchLexer::IDENT: case GorchLexer::INT: case GorchLexer::FLOAT:
    case GorchLexer::STRING: case GorchLexer::KW_SELF: case GorchLexer::KW_TRUE:
    case GorchLexer::KW_FALSE: case GorchLexer::KW_NULL: case GorchLexer::KW_TYPE:
    case GorchLexer::KW_KIND: case GorchLexer::KW_DEPRECATED: case GorchLexer::KW_CLUSTER:
    case GorchLexer::KW_PASSIVE: case GorchLexer::KW_KEYED: case GorchLexer::KW_POLICY:
    case GorchLexer::KW_LET: case GorchLexer::KW_FOR: case GorchLexer::KW_DENY:
    case GorchLexer::KW_AT:
      return true;
    default: {
      const std::string& s = t->getText();
      return s == ")" || s == "]" || s == "}";
    }
  }
}

bool IsTypeLikeName(const std::string& name) {
  static const char* const kBuiltins[] = {"list", "map", "ref", "int", "string", "float",
                                          "bool", "any", "quantity", "duration"};
  if (!name.empty() && name[0] >= 'A' && name[0] <= 'Z') return true;
  for (const char* b : kBuiltins)
    if (name == b) return true;
  return false;
}

bool StartsExpression(const antlr4::Token* t) {
  switch (t->getType()) {
    case GorchLexer::KW_WHEN: case GorchLexer::KW_WHERE: case GorchLexer::KW_TYPE:
    case GorchLexer::KW_KIND: case GorchLexer::KW_DEPRECATED:
    // Policies: a setting's, let's or rule's expression starts after these.
    case GorchLexer::KW_POLICY: case GorchLexer::KW_LET: case GorchLexer::KW_FOR:
    case GorchLexer::KW_DENY: case GorchLexer::KW_AT:
      return true;
    default: {
      const std::string& s = t->getText();
      return s == "," || s == "=";
    }
  }
}

}  // namespace

bool ParseDriver::Prepare() {
  if (!CheckUtf8(text_, pos_, diags_)) return false;
  input_ = std::make_unique<antlr4::ANTLRInputStream>(text_);
  lexer_ = std::make_unique<GorchLexer>(input_.get());
  lexer_->removeErrorListeners();
  tokens_ = std::make_unique<antlr4::CommonTokenStream>(lexer_.get());
  tokens_->fill();
  // The parser and the builders recurse once per nesting level; bound it so a
  // hostile file cannot overflow the stack. The measure over-approximates:
  // brackets, prefix operators and `?` each add a level until the end of the
  // expression (a comma, `=`, `when`, `where` or a new declaration).
  struct Open { int depth_before; bool angle; };
  std::vector<Open> open;
  int depth = 0;
  const auto& all = tokens_->getTokens();
  const antlr4::Token* prev = nullptr;
  for (size_t i = 0; i < all.size(); ++i) {
    const antlr4::Token* t = all[i];
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL || t->getType() == antlr4::Token::EOF)
      continue;
    const std::string& s = t->getText();
    // `<` opens type arguments after a type name (`list<`, `Foo<`); after a field
    // name it is a comparison, whose unmatched entry the next `,`, `=` or
    // closing bracket drops.
    bool generic = s == "<" && prev && prev->getType() == GorchLexer::IDENT &&
                   (IsTypeLikeName(prev->getText()));
    bool closer = s == ")" || s == "]" || s == "}";
    if (closer || StartsExpression(t)) {
      while (!open.empty() && open.back().angle) {
        depth = open.back().depth_before;
        open.pop_back();
      }
    }
    if (s == "(" || s == "[" || s == "{" || generic) {
      open.push_back({depth, generic});
      ++depth;
    } else if (closer || (s == ">" && !open.empty() && open.back().angle)) {
      if (!open.empty()) {
        depth = open.back().depth_before;
        open.pop_back();
      }
    } else if (s == "!" || (s == "-" && !(prev && IsOperandEnd(prev)))) {
      ++depth;
    } else if (s == "?") {
      const antlr4::Token* next = i + 1 < all.size() ? all[i + 1] : nullptr;
      if (!(next && next->getText() == ":")) ++depth;
    } else if (StartsExpression(t)) {
      depth = open.empty() ? 0 : open.back().depth_before + 1;
    }
    if (depth > kMaxNesting) {
      diags_.Error(pos_.At(t), "nesting",
                   "nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
      return false;
    }
    prev = t;
  }
  parser_ = std::make_unique<GorchParser>(tokens_.get());
  return true;
}

bool ParseDriver::Parse(Rule rule, bool split_declarations) {
  if (!Prepare()) return false;
  parser_->removeErrorListeners();
  parser_->setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  parser_->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  try {
    antlr4::ParserRuleContext* tree = rule(*parser_);
    units_.push_back(Unit{tree, tokens_.get(), {}});
    return true;
  } catch (const antlr4::ParseCancellationException&) {
    // A syntax error: parse again, carefully, to report it.
  }
  size_t eof = tokens_->getTokens().size() - 1;  // fill() ends with EOF
  if (!split_declarations) {
    ParsePiece(rule, 0, eof);
    return true;
  }
  for (auto [begin, end] : SplitDeclarations()) ParsePiece(rule, begin, end);
  return true;
}

// A declaration starts at `type NAME =`, `kind NAME "..."`,
// `deprecated NAME "..."` or `policy "..." {`: no other construct has these
// token sequences (`type` alone is not enough, it is also a field name). Brackets are not counted, so an
// unclosed record ends at the next declaration.
std::vector<std::pair<size_t, size_t>> ParseDriver::SplitDeclarations() const {
  const auto& all = tokens_->getTokens();
  std::vector<size_t> visible;  // default-channel token indexes, without EOF
  for (size_t i = 0; i + 1 < all.size(); ++i)
    if (all[i]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) visible.push_back(i);
  std::vector<size_t> starts = {0};
  for (size_t k = 0; k + 2 < visible.size(); ++k) {
    const antlr4::Token* t = all[visible[k]];
    const antlr4::Token* name = all[visible[k + 1]];
    const antlr4::Token* third = all[visible[k + 2]];
    // `policy "name" {`
    if (t->getType() == GorchLexer::KW_POLICY && name->getType() == GorchLexer::STRING &&
        third->getText() == "{") {
      if (visible[k] != starts.back()) starts.push_back(visible[k]);
      continue;
    }
    if (name->getType() != GorchLexer::IDENT) continue;
    bool start = (t->getType() == GorchLexer::KW_TYPE && third->getText() == "=") ||
                 ((t->getType() == GorchLexer::KW_KIND || t->getType() == GorchLexer::KW_DEPRECATED) &&
                  third->getType() == GorchLexer::STRING);
    if (start && visible[k] != starts.back()) starts.push_back(visible[k]);
  }
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t i = 0; i < starts.size(); ++i)
    ranges.emplace_back(starts[i], i + 1 < starts.size() ? starts[i + 1] : all.size() - 1);
  return ranges;
}

// Parses tokens [begin, end) alone; token `end` (the next declaration's keyword,
// or the real EOF) becomes the piece's EOF.
void ParseDriver::ParsePiece(Rule rule, size_t begin, size_t end) {
  const auto& all = tokens_->getTokens();
  std::vector<std::unique_ptr<antlr4::Token>> copies;
  for (size_t i = begin; i < end; ++i)
    copies.push_back(std::make_unique<antlr4::CommonToken>(all[i]));
  auto eof = std::make_unique<antlr4::CommonToken>(all[end]);
  eof->setType(antlr4::Token::EOF);
  eof->setChannel(antlr4::Token::DEFAULT_CHANNEL);
  copies.push_back(std::move(eof));

  auto piece = std::make_unique<Piece>();
  piece->source = std::make_unique<antlr4::ListTokenSource>(std::move(copies));
  piece->stream = std::make_unique<antlr4::CommonTokenStream>(piece->source.get());
  piece->stream->fill();
  piece->parser = std::make_unique<GorchParser>(piece->stream.get());
  units_.push_back(Unit{nullptr, piece->stream.get(), {}});
  Unit& unit = units_.back();
  piece->listener = std::make_unique<ErrorListener>(*this, unit);
  piece->parser->removeErrorListeners();
  piece->parser->addErrorListener(piece->listener.get());
  piece->parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  unit.tree = rule(*piece->parser);
  pieces_.push_back(std::move(piece));
}

std::string ParseDriver::DocBefore(const Unit& unit, const antlr4::Token* token) const {
  if (!token || !unit.tokens) return "";
  std::vector<antlr4::Token*> hidden =
      unit.tokens->getHiddenTokensToLeft(token->getTokenIndex(), antlr4::Token::HIDDEN_CHANNEL);
  // Only the run of `///` lines that ends on the line right above the token.
  std::vector<std::string> lines;
  size_t want_line = token->getLine() - 1;
  for (auto it = hidden.rbegin(); it != hidden.rend(); ++it) {
    const antlr4::Token* t = *it;
    if (t->getType() != GorchLexer::DOC_COMMENT || t->getLine() != want_line) break;
    std::string text = t->getText().substr(3);
    if (!text.empty() && text[0] == ' ') text.erase(0, 1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
    lines.push_back(std::move(text));
    --want_line;
  }
  std::string doc;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!doc.empty()) doc += '\n';
    doc += *it;
  }
  return doc;
}

namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Four hex digits at s[i..i+4), or -1.
int32_t Hex4(const std::string& s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

bool UnquoteString(const antlr4::Token* token, const PosMap& pos, Diagnostics& diags,
                   std::string* out) {
  const std::string text = token->getText();
  out->clear();
  if (text.size() < 2) return false;  // a token conjured by error recovery
  size_t end = text.size() - 1;  // the closing quote
  size_t col = 1;                // code points before s[i], counting the opening quote
  for (size_t i = 1; i < end;) {
    char c = text[i];
    if (c != '\\') {
      out->push_back(c);
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++col;
      ++i;
      continue;
    }
    auto bad = [&](std::string_view what) {
      SourcePos p = pos.At(token->getLine(), token->getCharPositionInLine() + col);
      diags.Error(p, "syntax", std::string(what));
      return false;
    };
    char e = i + 1 < end ? text[i + 1] : '\0';
    size_t consumed = 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        int32_t cp = Hex4(text, i + 2);
        if (cp < 0) return bad("invalid escape: \\u needs four hex digits");
        consumed = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair: \uD83D\uDE00
          int32_t low = (i + 7 < end && text[i + 6] == '\\' && text[i + 7] == 'u')
                            ? Hex4(text, i + 8) : -1;
          if (low < 0xDC00 || low > 0xDFFF) return bad("invalid escape: unpaired surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          consumed = 12;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return bad("invalid escape: unpaired surrogate");
        }
        AppendUtf8(*out, static_cast<uint32_t>(cp));
        break;
      }
      default: {
        std::string shown = e ? std::string(1, e) : std::string();
        return bad("invalid escape '\\" + shown + "' (use \\\", \\\\, \\n, \\t, \\r or \\uXXXX)");
      }
    }
    i += consumed;
    col += consumed;
  }
  return true;
}

}  // namespace gorch::lang::internal

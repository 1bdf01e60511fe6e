// Parse tree -> Policy (gorch/lang/policy.h): one Build* function per construct.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "antlr_driver.h"
#include "expr_builder.h"
#include "gorch/lang/policy.h"
#include "literal_check.h"
#include "suggest.h"

namespace gorch::lang {

namespace {

using internal::ParseDriver;
using internal::PosMap;
using P = gorch_antlr::GorchParser;

constexpr size_t kMaxPolicyFileBytes = 8u << 20;

// Check names end up in annotation keys (ignore-check.gorch.dev/<name>) and
// SARIF rule ids: lower-case letters, digits and single dashes.
bool ValidCheckName(std::string_view n) {
  if (n.empty() || n.size() > 63 || n.front() == '-' || n.back() == '-') return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && i > 0 && n[i - 1] == '-')) return false;
  }
  return true;
}

class PolicyBuilder {
 public:
  PolicyBuilder(ParseDriver& driver) : driver_(driver), diags_(driver.diags()) {}

  void BuildUnit(ParseDriver::Unit& unit, std::vector<Policy>& out);

 private:
  bool BuildPolicy(ParseDriver::Unit& unit, P::PolicyDeclContext* ctx, Policy& p);
  void BuildSetting(P::PolicySettingContext* ctx, Policy& p, std::set<std::string>& seen);
  bool BuildRule(P::PolicyRuleContext* ctx, Policy& p);
  bool BuildTemplate(antlr4::Token* token, MessageTemplate& out);
  std::shared_ptr<const Expr> ParsePlaceholder(const std::string& text, SourcePos start);
  std::shared_ptr<const Expr> BuildExpr(P::ExprContext* ctx) {
    internal::ExprBuilder builder(driver_.pos(), diags_);
    return std::shared_ptr<const Expr>(builder.Build(ctx));
  }
  SourcePos Pos(const antlr4::Token* t) const { return driver_.pos().At(t); }
  void Error(SourcePos pos, std::string message) { diags_.Error(pos, "policy", std::move(message)); }

  ParseDriver& driver_;
  Diagnostics& diags_;
  std::map<std::string, SourcePos> names_;  // policies of this file
};

void PolicyBuilder::BuildUnit(ParseDriver::Unit& unit, std::vector<Policy>& out) {
  auto* file = dynamic_cast<P::FileContext*>(unit.tree);
  if (!file) return;
  for (auto* decl : file->decl()) {
    antlr4::Token* start = decl->getStart();
    antlr4::Token* stop = decl->getStop();
    size_t first = start ? start->getTokenIndex() : 0;
    size_t last = stop && stop->getTokenIndex() >= first ? stop->getTokenIndex() : first;
    if (unit.HasErrorIn(first, last + 1)) continue;  // the syntax error is reported
    if (!decl->policyDecl()) {
      Error(Pos(start), "a policy file holds only policy declarations (types and kinds go in --schema files)");
      continue;
    }
    Policy p;
    size_t errors = diags_.error_count();
    if (BuildPolicy(unit, decl->policyDecl(), p) && diags_.error_count() == errors)
      out.push_back(std::move(p));
  }
}

bool PolicyBuilder::BuildPolicy(ParseDriver::Unit& unit, P::PolicyDeclContext* ctx, Policy& p) {
  p.pos = Pos(ctx->KW_POLICY()->getSymbol());
  p.doc = driver_.DocBefore(unit, ctx->KW_POLICY()->getSymbol());
  antlr4::Token* name_token = ctx->STRING() ? ctx->STRING()->getSymbol() : nullptr;
  if (!name_token || !internal::UnquoteString(name_token, driver_.pos(), diags_, &p.name)) return false;
  if (!ValidCheckName(p.name)) {
    Error(Pos(name_token), "policy name \"" + p.name +
                               "\" must be lower-case letters, digits and single dashes (as in \"latest-tag\")");
    return false;
  }
  if (auto [it, fresh] = names_.emplace(p.name, p.pos); !fresh) {
    Error(Pos(name_token), "duplicate policy \"" + p.name + "\" (first declared at " + it->second.ToString() + ")");
    return false;
  }
  std::set<std::string> seen;
  bool has_rule = false;
  for (auto* member : ctx->policyMember()) {
    if (auto* s = dynamic_cast<P::PolicySettingContext*>(member)) {
      BuildSetting(s, p, seen);
    } else if (auto* l = dynamic_cast<P::PolicyLetContext*>(member)) {
      PolicyLet let;
      let.name = l->ident()->getText();
      let.pos = Pos(l->KW_LET()->getSymbol());
      let.value = BuildExpr(l->expr());
      if (let.value) p.steps.push_back(std::move(let));
    } else if (auto* r = dynamic_cast<P::PolicyRuleContext*>(member)) {
      BuildRule(r, p);
      has_rule = true;  // a broken rule is reported by itself
    }
  }
  if (!seen.count("description"))
    Error(p.pos, "policy \"" + p.name + "\" needs a description (description: \"what it finds\")");
  if (!has_rule) Error(p.pos, "policy \"" + p.name + "\" has no rule (deny COND : \"message\")");
  return true;
}

// Settings take constant values: strings, lists of strings, a map of strings,
// a bool; `severity` also takes a bare error, warning or info.
void PolicyBuilder::BuildSetting(P::PolicySettingContext* ctx, Policy& p, std::set<std::string>& seen) {
  static const std::vector<std::string_view> kSettings = {
      "severity", "description", "remediation", "url", "kinds", "namespaces", "labels", "enabled"};
  antlr4::Token* at = ctx->fieldName()->getStart();
  SourcePos pos = Pos(at);
  std::string name;
  internal::ExprBuilder names(driver_.pos(), diags_);
  if (!names.FieldNameText(ctx->fieldName(), &name)) return;
  if (std::find(kSettings.begin(), kSettings.end(), name) == kSettings.end()) {
    Error(pos, "unknown policy setting '" + name + "'" + internal::DidYouMean(name, kSettings) +
                   "; settings are severity, description, remediation, url, kinds, namespaces, labels, enabled");
    return;
  }
  if (!seen.insert(name).second) {
    Error(pos, "duplicate setting '" + name + "'");
    return;
  }
  std::shared_ptr<const Expr> expr = BuildExpr(ctx->expr());
  if (!expr) return;
  SourcePos vpos = expr->pos;
  if (name == "severity") {
    std::string s = expr->kind == ExprKind::kIdent ? expr->name
                    : expr->kind == ExprKind::kLiteral && expr->value.is_string() ? expr->value.as_string()
                                                                                 : "";
    if (s == "error") p.severity = Severity::kError;
    else if (s == "warning") p.severity = Severity::kWarning;
    else if (s == "info") p.severity = Severity::kInfo;
    else Error(vpos, "severity must be error, warning or info, got " + ExprToString(*expr));
    return;
  }
  std::optional<Value> v = internal::ConstantValue(*expr);
  if (!v) {
    Error(vpos, "setting '" + name + "' needs a constant value, got " + ExprToString(*expr));
    return;
  }
  auto strings = [&](std::vector<std::string>& out) {
    if (!v->is_list()) return Error(vpos, "setting '" + name + "' needs a list of strings, got " + std::string(v->KindName()));
    for (const Value& item : v->as_list()) {
      if (!item.is_string()) return Error(vpos, "setting '" + name + "' needs a list of strings");
      out.push_back(item.as_string());
    }
  };
  if (name == "kinds") {
    strings(p.kinds);
    p.kinds_pos = vpos;
  } else if (name == "namespaces") {
    strings(p.namespaces);
  } else if (name == "labels") {
    if (!v->is_map()) return Error(vpos, "setting 'labels' needs a map of strings, got " + std::string(v->KindName()));
    for (const auto& [k, val] : v->as_map()) {
      if (!val.is_string()) return Error(vpos, "setting 'labels' needs a map of strings");
      p.labels.emplace_back(k, val.as_string());
    }
  } else if (name == "enabled") {
    if (!v->is_bool()) return Error(vpos, "setting 'enabled' needs true or false");
    p.enabled = v->as_bool();
  } else {
    if (!v->is_string()) return Error(vpos, "setting '" + name + "' needs a string, got " + std::string(v->KindName()));
    std::string& dst = name == "description" ? p.description : name == "remediation" ? p.remediation : p.url;
    dst = v->as_string();
  }
}

bool PolicyBuilder::BuildRule(P::PolicyRuleContext* ctx, Policy& p) {
  PolicyRule rule;
  auto loops = ctx->policyLoop();
  rule.pos = Pos(loops.empty() ? ctx->KW_DENY()->getSymbol() : loops.front()->getStart());
  for (auto* l : loops) {
    PolicyLoop loop;
    loop.var = l->ident()->getText();
    loop.pos = Pos(l->ident()->getStart());
    loop.list = BuildExpr(l->expr());
    if (!loop.list) return false;
    for (const auto& other : rule.loops)
      if (other.var == loop.var) Error(loop.pos, "loop variable '" + loop.var + "' is already in use");
    rule.loops.push_back(std::move(loop));
  }
  rule.condition = BuildExpr(ctx->cond);
  if (ctx->at) rule.at = BuildExpr(ctx->at);
  if (!rule.condition || (ctx->at && !rule.at)) return false;
  if (!ctx->STRING() || !BuildTemplate(ctx->STRING()->getSymbol(), rule.message)) return false;
  p.steps.push_back(std::move(rule));
  return true;
}

// Splits the raw token text at `{...}` placeholders; each piece is decoded with
// the language's own string rules at its own position, so errors point inside
// the message.
bool PolicyBuilder::BuildTemplate(antlr4::Token* token, MessageTemplate& out) {
  out.pos = Pos(token);
  const std::string raw = token->getText();
  if (raw.size() < 2) return false;
  const size_t line = token->getLine(), col0 = token->getCharPositionInLine();
  // Decodes raw[b, e) as if it were a string literal starting at raw[b].
  auto decode = [&](size_t b, size_t e, std::string* text) {
    antlr4::CommonToken piece(token);
    piece.setText("\"" + raw.substr(b, e - b) + "\"");
    piece.setCharPositionInLine(col0 + b - 1);
    return internal::UnquoteString(&piece, driver_.pos(), diags_, text);
  };
  std::string literal;
  size_t i = 1, end = raw.size() - 1, lit_start = 1;
  auto flush = [&](size_t upto) {
    std::string text;
    if (!decode(lit_start, upto, &text)) return false;
    literal += text;
    return true;
  };
  while (i < end) {
    char c = raw[i];
    if ((c == '{' || c == '}') && i + 1 < end && raw[i + 1] == c) {  // {{ or }}
      if (!flush(i + 1)) return false;
      i += 2;
      lit_start = i;
      continue;
    }
    if (c == '}') {
      Error(driver_.pos().At(line, col0 + i), "unmatched '}' in message (write '}}' for a brace)");
      return false;
    }
    if (c != '{') {
      i += raw[i] == '\\' && i + 1 < end ? 2 : 1;
      continue;
    }
    if (!flush(i)) return false;
    size_t close = i + 1;
    int depth = 1;
    for (; close < end; ++close) {
      if (raw[close] == '{') ++depth;
      if (raw[close] == '}' && --depth == 0) break;
    }
    if (close >= end) {
      Error(driver_.pos().At(line, col0 + i), "unclosed '{' in message (write '{{' for a brace)");
      return false;
    }
    std::string expr_text;
    if (!decode(i + 1, close, &expr_text)) return false;
    if (!literal.empty()) out.parts.push_back({std::move(literal), nullptr});
    literal.clear();
    std::shared_ptr<const Expr> expr = ParsePlaceholder(expr_text, driver_.pos().At(line, col0 + i + 1));
    if (!expr) return false;
    out.parts.push_back({"", std::move(expr)});
    i = close + 1;
    lit_start = i;
  }
  if (!flush(end)) return false;
  if (!literal.empty()) out.parts.push_back({std::move(literal), nullptr});
  return true;
}

// A placeholder's expression. The caller holds the parser lock (ParseExpression
// would take it again), so this parses with a driver of its own.
std::shared_ptr<const Expr> PolicyBuilder::ParsePlaceholder(const std::string& text, SourcePos start) {
  size_t errors = diags_.error_count();
  ParseDriver driver(text, PosMap(start.file, start), diags_);
  auto rule = [](P& p) -> antlr4::ParserRuleContext* { return p.exprOnly(); };
  if (!driver.Parse(rule, /*split_declarations=*/false) || driver.syntax_errors() > 0) return nullptr;
  auto* tree = dynamic_cast<P::ExprOnlyContext*>(driver.units().front().tree);
  if (!tree) return nullptr;
  internal::ExprBuilder builder(driver.pos(), diags_);
  std::shared_ptr<const Expr> expr(builder.Build(tree->expr()));
  return diags_.error_count() == errors ? expr : nullptr;
}

void WalkFree(const Expr& e, const std::function<void(const std::string&, SourcePos)>& fn) {
  if (e.kind == ExprKind::kIdent && e.slot < 0) fn(e.name, e.pos);
  for (const auto& a : e.args)
    if (a) WalkFree(*a, fn);
}

}  // namespace

std::vector<Policy> ParsePolicyFile(std::string_view file_name, std::string_view text, Diagnostics& diags) {
  std::vector<Policy> out;
  const char* file = InternFileName(file_name);
  if (text.size() > kMaxPolicyFileBytes) {
    diags.Error({file, 0, 0}, "policy", "policy file is too large (over 8 MiB)");
    return out;
  }
  std::lock_guard<std::mutex> lock(ParseDriver::Mutex());
  try {
    ParseDriver driver(text, PosMap(file, {file, 1, 1}), diags);
    driver.set_policy_file(true);
    auto rule = [](P& p) -> antlr4::ParserRuleContext* { return p.file(); };
    if (!driver.Parse(rule, /*split_declarations=*/true)) return out;
    PolicyBuilder builder(driver);
    for (auto& unit : driver.units()) builder.BuildUnit(unit, out);
  } catch (const std::exception& e) {
    diags.Error({file, 0, 0}, "internal", std::string("internal parser error: ") + e.what());
  }
  return out;
}

void ForEachFreeName(const Expr& expr, const std::function<void(const std::string&, SourcePos)>& fn) {
  WalkFree(expr, fn);
}

}  // namespace gorch::lang

#include "expr_builder.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "builtins.h"
#include "suggest.h"

namespace gorch::lang::internal {

using P = gorch_antlr::GorchParser;

void ExprBuilder::Error(const antlr4::Token* at, std::string message) {
  diags_.Error(pos_.At(at), "expr", std::move(message));
}

std::unique_ptr<Expr> ExprBuilder::NewExpr(ExprKind kind, const antlr4::Token* at) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos_.At(at);
  return e;
}

std::unique_ptr<Expr> ExprBuilder::Build(P::ExprContext* ctx) { return BuildNode(ctx); }

std::unique_ptr<Expr> ExprBuilder::BuildNode(antlr4::tree::ParseTree* ctx) {
  // Error recovery can leave holes in the tree; the syntax error is reported.
  if (!ctx) return nullptr;
  if (depth_ >= kMaxExprDepth) {
    if (!too_deep_reported_) {
      auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(ctx);
      Error(rule ? rule->getStart() : nullptr,
            "expression nested too deeply (more than " + std::to_string(kMaxExprDepth) +
                " levels)");
      too_deep_reported_ = true;
    }
    return nullptr;
  }
  ++depth_;
  out_.reset();
  ctx->accept(this);
  --depth_;
  return std::move(out_);
}

bool ExprBuilder::FieldNameText(P::FieldNameContext* ctx, std::string* out) {
  if (!ctx) return false;
  if (auto* s = ctx->STRING()) return UnquoteString(s->getSymbol(), pos_, diags_, out);
  *out = ctx->getText();
  return !out->empty();
}

antlrcpp::Any ExprBuilder::visitPrimaryExpr(P::PrimaryExprContext* ctx) {
  out_ = BuildNode(ctx->primary());
  return {};
}

antlrcpp::Any ExprBuilder::visitParenPrimary(P::ParenPrimaryContext* ctx) {
  out_ = BuildNode(ctx->expr());
  return {};
}

antlrcpp::Any ExprBuilder::visitFieldExpr(P::FieldExprContext* ctx) {
  auto base = BuildNode(ctx->expr());
  std::string name;
  if (!base || !FieldNameText(ctx->fieldName(), &name)) return {};
  auto e = NewExpr(ExprKind::kField, ctx->fieldName()->getStart());
  e->name = std::move(name);
  e->args.push_back(std::move(base));
  out_ = std::move(e);
  return {};
}

antlrcpp::Any ExprBuilder::visitIndexExpr(P::IndexExprContext* ctx) {
  auto exprs = ctx->expr();
  if (exprs.size() != 2) return {};
  auto base = BuildNode(exprs[0]);
  auto index = BuildNode(exprs[1]);
  if (!base || !index) return {};
  auto e = NewExpr(ExprKind::kIndex, exprs[1]->getStart());
  e->args.push_back(std::move(base));
  e->args.push_back(std::move(index));
  out_ = std::move(e);
  return {};
}

antlrcpp::Any ExprBuilder::visitUnaryExpr(P::UnaryExprContext* ctx) {
  bool negate = ctx->op && ctx->op->getText() == "-";
  // Fold "-<number literal>" into one literal.
  if (negate) {
    if (auto* prim = dynamic_cast<P::PrimaryExprContext*>(ctx->expr())) {
      if (auto* lit = dynamic_cast<P::LiteralPrimaryContext*>(prim->primary())) {
        auto* l = lit->literal();
        antlr4::tree::TerminalNode* num = l ? (l->INT() ? l->INT() : l->FLOAT()) : nullptr;
        if (num) {
          auto e = NumberLiteral(num->getSymbol(), true);
          if (e) e->pos = pos_.At(ctx->op);
          out_ = std::move(e);
          return {};
        }
      }
    }
  }
  auto operand = BuildNode(ctx->expr());
  if (!operand || !ctx->op) return {};
  auto e = NewExpr(ExprKind::kUnary, ctx->op);
  e->unary_op = negate ? UnaryOp::kNeg : UnaryOp::kNot;
  e->args.push_back(std::move(operand));
  out_ = std::move(e);
  return {};
}

namespace {

std::optional<BinaryOp> ToBinaryOp(const std::string& op) {
  static const std::pair<std::string_view, BinaryOp> kOps[] = {
      {"==", BinaryOp::kEq}, {"!=", BinaryOp::kNe}, {"<", BinaryOp::kLt},
      {"<=", BinaryOp::kLe}, {">", BinaryOp::kGt},  {">=", BinaryOp::kGe},
      {"&&", BinaryOp::kAnd}, {"||", BinaryOp::kOr}, {"+", BinaryOp::kAdd},
      {"-", BinaryOp::kSub}, {"*", BinaryOp::kMul}, {"/", BinaryOp::kDiv},
      {"%", BinaryOp::kMod}, {"in", BinaryOp::kIn},
  };
  for (const auto& [text, op_value] : kOps)
    if (text == op) return op_value;
  return std::nullopt;
}

}  // namespace

antlrcpp::Any ExprBuilder::visitBinaryExpr(P::BinaryExprContext* ctx) {
  auto exprs = ctx->expr();
  if (exprs.size() != 2 || !ctx->op) return {};
  auto lhs = BuildNode(exprs[0]);
  auto rhs = BuildNode(exprs[1]);
  auto op = ToBinaryOp(ctx->op->getText());
  if (!lhs || !rhs || !op) return {};
  auto e = NewExpr(ExprKind::kBinary, ctx->op);
  e->binary_op = *op;
  e->args.push_back(std::move(lhs));
  e->args.push_back(std::move(rhs));
  out_ = std::move(e);
  return {};
}

antlrcpp::Any ExprBuilder::visitCondExpr(P::CondExprContext* ctx) {
  auto exprs = ctx->expr();
  if (exprs.size() != 3) return {};
  auto e = NewExpr(ExprKind::kConditional, ctx->getStart());
  bool ok = true;
  for (auto* sub : exprs) {
    auto built = BuildNode(sub);
    ok = ok && built;
    e->args.push_back(std::move(built));
  }
  if (ok) out_ = std::move(e);
  return {};
}

std::unique_ptr<Expr> ExprBuilder::NumberLiteral(antlr4::Token* token, bool negate) {
  const std::string text = token->getText();
  auto e = NewExpr(ExprKind::kLiteral, token);
  if (token->getType() == P::INT) {
    uint64_t v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negate ? 1 : 0);
    if (r.ec != std::errc() || v > limit) {
      Error(token, "integer literal " + std::string(negate ? "-" : "") + text + " is out of range");
      return nullptr;
    }
    int64_t i = v == limit && negate ? std::numeric_limits<int64_t>::min()
                                     : (negate ? -static_cast<int64_t>(v) : static_cast<int64_t>(v));
    e->value = Value::Int(i, e->pos);
    return e;
  }
  double d = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), d);
  if (r.ec != std::errc() || !std::isfinite(d)) {
    Error(token, "number literal " + text + " is out of range");
    return nullptr;
  }
  e->value = Value::Float(negate ? -d : d, e->pos);
  return e;
}

antlrcpp::Any ExprBuilder::visitLiteralPrimary(P::LiteralPrimaryContext* ctx) {
  auto* lit = ctx->literal();
  if (!lit) return {};
  if (lit->INT()) {
    out_ = NumberLiteral(lit->INT()->getSymbol(), false);
  } else if (lit->FLOAT()) {
    out_ = NumberLiteral(lit->FLOAT()->getSymbol(), false);
  } else if (lit->STRING()) {
    std::string s;
    if (!UnquoteString(lit->STRING()->getSymbol(), pos_, diags_, &s)) return {};
    auto e = NewExpr(ExprKind::kLiteral, lit->getStart());
    e->value = Value::String(std::move(s), e->pos);
    out_ = std::move(e);
  } else {
    auto e = NewExpr(ExprKind::kLiteral, lit->getStart());
    if (lit->KW_TRUE()) e->value = Value::Bool(true, e->pos);
    else if (lit->KW_FALSE()) e->value = Value::Bool(false, e->pos);
    else e->value = Value::Null(e->pos);
    out_ = std::move(e);
  }
  return {};
}

antlrcpp::Any ExprBuilder::visitSelfPrimary(P::SelfPrimaryContext* ctx) {
  out_ = NewExpr(ExprKind::kSelf, ctx->getStart());
  return {};
}

antlrcpp::Any ExprBuilder::visitIdentPrimary(P::IdentPrimaryContext* ctx) {
  if (!ctx->ident()) return {};
  auto e = NewExpr(ExprKind::kIdent, ctx->getStart());
  e->name = ctx->ident()->getText();
  for (size_t i = vars_.size(); i-- > 0;) {
    if (vars_[i] == e->name) {
      e->slot = static_cast<int32_t>(i);
      break;
    }
  }
  out_ = std::move(e);
  return {};
}

antlrcpp::Any ExprBuilder::visitListPrimary(P::ListPrimaryContext* ctx) {
  auto e = NewExpr(ExprKind::kList, ctx->getStart());
  bool ok = true;
  for (auto* sub : ctx->expr()) {
    auto built = BuildNode(sub);
    ok = ok && built;
    e->args.push_back(std::move(built));
  }
  if (ok) out_ = std::move(e);
  return {};
}

antlrcpp::Any ExprBuilder::visitMapPrimary(P::MapPrimaryContext* ctx) {
  auto e = NewExpr(ExprKind::kMap, ctx->getStart());
  bool ok = true;
  for (auto* entry : ctx->mapEntry()) {
    std::string key;
    if (!FieldNameText(entry->fieldName(), &key)) {
      ok = false;
      continue;
    }
    for (const auto& k : e->keys) {
      if (k == key) {
        Error(entry->getStart(), "duplicate key \"" + key + "\" in map literal");
        ok = false;
      }
    }
    auto value = BuildNode(entry->expr());
    ok = ok && value;
    e->keys.push_back(std::move(key));
    e->args.push_back(std::move(value));
  }
  if (ok) out_ = std::move(e);
  return {};
}

namespace {

std::vector<std::string_view> FunctionNames() {
  return {"has", "len", "startsWith", "endsWith", "contains", "matches", "lower", "upper", "split",
          "keys", "values", "quantity", "duration", "string", "int", "float", "all", "any",
          "count", "filter", "map"};
}

bool IsFieldPath(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kIdent: return true;
    case ExprKind::kField: return true;
    case ExprKind::kIndex: return true;
    default: return false;
  }
}

}  // namespace

std::unique_ptr<Expr> ExprBuilder::Call(const std::string& name, antlr4::Token* name_token,
                                        std::unique_ptr<Expr> receiver,
                                        P::ExprListContext* arg_list) {
  const BuiltinInfo* info = FindBuiltin(name);
  if (!info) {
    Error(name_token, "unknown function '" + name + "'" + DidYouMean(name, FunctionNames()));
    return nullptr;
  }
  if (info->quantifier) {
    Error(name_token, name + "() is written " + name + "(x in LIST : " +
                          (info->fn == Builtin::kMap ? "EXPR" : "CONDITION") + ")");
    return nullptr;
  }
  bool method = receiver != nullptr;
  if (method && info->fn == Builtin::kHas) {
    Error(name_token, "has() cannot be called as a method; write has(a.b)");
    return nullptr;
  }
  auto e = NewExpr(ExprKind::kCall, name_token);
  e->fn = info->fn;
  e->method_syntax = method;
  bool ok = true;
  if (method) e->args.push_back(std::move(receiver));
  if (arg_list) {
    for (auto* sub : arg_list->expr()) {
      auto built = BuildNode(sub);
      ok = ok && built;
      e->args.push_back(std::move(built));
    }
  }
  if (!ok) return nullptr;
  int n = static_cast<int>(e->args.size());
  if (n < info->min_args || n > info->max_args) {
    int shown_args = info->min_args - (method ? 1 : 0);
    Error(name_token, std::string(info->name) + "() takes " + std::to_string(shown_args) +
                          " argument" + (shown_args == 1 ? "" : "s") +
                          (method ? " when called as a method" : "") + ", got " +
                          std::to_string(n - (method ? 1 : 0)));
    return nullptr;
  }
  if (info->fn == Builtin::kHas && !IsFieldPath(*e->args[0])) {
    Error(name_token, "has() needs a field path, like has(spec.replicas)");
    return nullptr;
  }
  return e;
}

antlrcpp::Any ExprBuilder::visitCallPrimary(P::CallPrimaryContext* ctx) {
  if (!ctx->ident()) return {};
  out_ = Call(ctx->ident()->getText(), ctx->ident()->getStart(), nullptr, ctx->exprList());
  return {};
}

antlrcpp::Any ExprBuilder::visitMethodExpr(P::MethodExprContext* ctx) {
  auto receiver = BuildNode(ctx->expr());
  std::string name;
  if (!receiver || !FieldNameText(ctx->fieldName(), &name)) return {};
  out_ = Call(name, ctx->fieldName()->getStart(), std::move(receiver), ctx->exprList());
  return {};
}

antlrcpp::Any ExprBuilder::visitQuantifierPrimary(P::QuantifierPrimaryContext* ctx) {
  auto idents = ctx->ident();
  auto exprs = ctx->expr();
  if (idents.size() != 2 || exprs.size() != 2 || !ctx->var) return {};
  std::string name = idents[0]->getText();
  const BuiltinInfo* info = FindBuiltin(name);
  if (!info || !info->quantifier) {
    Error(idents[0]->getStart(), "'" + name +
                                     "' is not a quantifier; use all, any, count, filter or map");
    return {};
  }
  if (vars_.size() >= kMaxQuantifierNesting) {
    Error(idents[0]->getStart(), "quantifiers nested too deeply");
    return {};
  }
  auto e = NewExpr(ExprKind::kQuantifier, idents[0]->getStart());
  e->fn = info->fn;
  e->name = ctx->var->getText();
  e->slot = static_cast<int32_t>(vars_.size());
  auto list = BuildNode(exprs[0]);  // the variable is not in scope in its own list
  vars_.push_back(e->name);
  auto body = BuildNode(exprs[1]);
  vars_.pop_back();
  if (!list || !body) return {};
  e->args.push_back(std::move(list));
  e->args.push_back(std::move(body));
  out_ = std::move(e);
  return {};
}

}  // namespace gorch::lang::internal

// Builds the expression AST (gorch/lang/expr.h) from the ANTLR parse tree:
// resolves function names and quantifier variables, decodes literals, folds
// negative number literals, and bounds the depth. Private to lang/src.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "GorchBaseVisitor.h"
#include "antlr_driver.h"
#include "gorch/lang/expr.h"

namespace gorch::lang::internal {

inline constexpr int kMaxExprDepth = 256;
inline constexpr size_t kMaxQuantifierNesting = 16;

class ExprBuilder : public gorch_antlr::GorchBaseVisitor {
 public:
  using P = gorch_antlr::GorchParser;

  ExprBuilder(const PosMap& pos, Diagnostics& diags) : pos_(pos), diags_(diags) {}

  // The AST of ctx, or null after reporting why (every error found is reported).
  std::unique_ptr<Expr> Build(P::ExprContext* ctx);

  // The text of a field name (an identifier, keyword or quoted string).
  bool FieldNameText(P::FieldNameContext* ctx, std::string* out);

  antlrcpp::Any visitPrimaryExpr(P::PrimaryExprContext* ctx) override;
  antlrcpp::Any visitMethodExpr(P::MethodExprContext* ctx) override;
  antlrcpp::Any visitFieldExpr(P::FieldExprContext* ctx) override;
  antlrcpp::Any visitIndexExpr(P::IndexExprContext* ctx) override;
  antlrcpp::Any visitUnaryExpr(P::UnaryExprContext* ctx) override;
  antlrcpp::Any visitBinaryExpr(P::BinaryExprContext* ctx) override;
  antlrcpp::Any visitCondExpr(P::CondExprContext* ctx) override;
  antlrcpp::Any visitLiteralPrimary(P::LiteralPrimaryContext* ctx) override;
  antlrcpp::Any visitSelfPrimary(P::SelfPrimaryContext* ctx) override;
  antlrcpp::Any visitQuantifierPrimary(P::QuantifierPrimaryContext* ctx) override;
  antlrcpp::Any visitCallPrimary(P::CallPrimaryContext* ctx) override;
  antlrcpp::Any visitIdentPrimary(P::IdentPrimaryContext* ctx) override;
  antlrcpp::Any visitParenPrimary(P::ParenPrimaryContext* ctx) override;
  antlrcpp::Any visitListPrimary(P::ListPrimaryContext* ctx) override;
  antlrcpp::Any visitMapPrimary(P::MapPrimaryContext* ctx) override;

 private:
  std::unique_ptr<Expr> BuildNode(antlr4::tree::ParseTree* ctx);
  std::unique_ptr<Expr> NewExpr(ExprKind kind, const antlr4::Token* at);
  // A number literal; `negate` folds a leading minus (so INT64_MIN is writable).
  std::unique_ptr<Expr> NumberLiteral(antlr4::Token* token, bool negate);
  std::unique_ptr<Expr> Call(const std::string& name, antlr4::Token* name_token,
                             std::unique_ptr<Expr> receiver, P::ExprListContext* args);
  void Error(const antlr4::Token* at, std::string message);

  const PosMap& pos_;
  Diagnostics& diags_;
  std::unique_ptr<Expr> out_;        // the result of the last visit
  std::vector<std::string> vars_;    // quantifier variables in scope, outermost first
  int depth_ = 0;
  bool too_deep_reported_ = false;
};

}  // namespace gorch::lang::internal

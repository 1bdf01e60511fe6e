// lang::ParseExpression: one standalone expression (policies, tests, tools).
#include "antlr_driver.h"
#include "expr_builder.h"
#include "gorch/lang/expr.h"

namespace gorch::lang {

using internal::ParseDriver;
using internal::PosMap;
using P = gorch_antlr::GorchParser;

Result<std::shared_ptr<const Expr>> ParseExpression(std::string_view text, SourcePos start,
                                                    Diagnostics& diags) {
  if (!start.file) start.file = "";
  if (start.line == 0) start.line = 1;
  if (start.col == 0) start.col = 1;
  size_t errors_before = diags.error_count();
  size_t items_before = diags.all().size();
  // The status carries the first error this call reported.
  auto first_error = [&]() -> Status {
    for (size_t i = items_before; i < diags.all().size(); ++i) {
      if (diags.all()[i].severity == Severity::kError)
        return Status::InvalidArgument(diags.all()[i].ToString());
    }
    return Status::InvalidArgument("invalid expression");
  };
  if (text.size() > internal::kMaxExpressionBytes) {
    diags.Error(start, "expr", "expression is too long (over 1 MiB)");
    return first_error();
  }
  std::unique_ptr<Expr> expr;
  {
    std::lock_guard<std::mutex> lock(ParseDriver::Mutex());
    try {
      PosMap pos(start.file, start);
      ParseDriver driver(text, pos, diags);
      auto rule = [](P& p) -> antlr4::ParserRuleContext* { return p.exprOnly(); };
      if (driver.Parse(rule, /*split_declarations=*/false) && driver.syntax_errors() == 0) {
        auto* tree = dynamic_cast<P::ExprOnlyContext*>(driver.units().front().tree);
        internal::ExprBuilder builder(driver.pos(), diags);
        if (tree) expr = builder.Build(tree->expr());
      }
    } catch (const std::exception& e) {
      diags.Error(start, "internal", std::string("internal parser error: ") + e.what());
    }
  }
  if (!expr || diags.error_count() != errors_before) return first_error();
  return std::shared_ptr<const Expr>(std::move(expr));
}

Result<std::shared_ptr<const Expr>> ParseExpression(std::string_view text, std::string_view file,
                                                    Diagnostics& diags) {
  const char* interned = InternFileName(file);
  return ParseExpression(text, SourcePos{interned, 1, 1}, diags);
}

}  // namespace gorch::lang

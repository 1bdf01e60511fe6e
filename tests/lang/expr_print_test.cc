// ExprToString prints an expression that parses back to the same expression
// (found by fuzzing: "-----0" printed as "----0").
#include <gtest/gtest.h>

#include "gorch/lang/expr.h"

namespace gorch::lang {
namespace {

std::string RoundTrip(std::string_view text) {
  Diagnostics diags;
  auto parsed = ParseExpression(text, "t", diags);
  EXPECT_TRUE(parsed.ok()) << text;
  if (!parsed.ok()) return "";
  std::string printed = ExprToString(**parsed);
  Diagnostics again;
  auto reparsed = ParseExpression(printed, "printed", again);
  EXPECT_TRUE(reparsed.ok()) << printed;
  if (!reparsed.ok()) return "";
  EXPECT_EQ(ExprToString(**reparsed), printed) << "from " << text;
  return printed;
}

TEST(ExprPrint, NegatedNumbersSurviveARoundTrip) {
  EXPECT_EQ(RoundTrip("-5"), "-5");
  EXPECT_EQ(RoundTrip("--5"), "-(-5)");
  EXPECT_EQ(RoundTrip("-----0"), "----(0)");
  RoundTrip("- -2.5");
  RoundTrip("!-3");
  RoundTrip("-(a + 1)");
  RoundTrip("-x.y");
}

}  // namespace
}  // namespace gorch::lang

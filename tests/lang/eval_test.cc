// The expression evaluator (gorch/lang/eval.h): every operator and function of
// docs/language.md "Expressions", null semantics, and errors as values.
#include "gorch/lang/eval.h"

#include <gtest/gtest.h>

#include <string>

#include "gorch/lang/expr.h"

namespace gorch::lang {
namespace {

Value Str(const char* s) { return Value::String(s); }

// The record expressions are evaluated over.
Value Doc() {
  Value container_a = Value::MakeMap({{"name", Str("a")}, {"image", Str("nginx:1.25")}});
  Value container_b = Value::MakeMap({{"name", Str("b")}, {"image", Str("redis")}});
  return Value::MakeMap({
      {"a", Value::Int(1)},
      {"f", Value::Float(2.5)},
      {"s", Str("Hello")},
      {"b", Value::Bool(true)},
      {"n", Value::Null()},
      {"l", Value::MakeList({Value::Int(1), Value::Int(2), Value::Int(3)})},
      {"m", Value::MakeMap({{"x", Value::Int(1)}, {"y-z", Value::Int(2)}})},
      {"type", Str("RollingUpdate")},
      {"mem", Str("64Mi")},
      {"containers", Value::MakeList({container_a, container_b})},
  });
}

std::shared_ptr<const Expr> Parse(const std::string& text) {
  Diagnostics diags;
  auto e = ParseExpression(text, "test", diags);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  return e.ok() ? *e : nullptr;
}

// The result as JSON, or "error: <message>".
std::string EvalText(const std::string& text, const Value& self = Doc(),
                std::span<const Binding> bindings = {}) {
  auto expr = Parse(text);
  if (!expr) return "parse error";
  EvalScope scope{&self, bindings};
  auto v = Evaluate(*expr, scope);
  if (!v.ok()) return "error: " + v.status().message();
  return v->ToJson();
}

struct Case {
  const char* expr;
  const char* want;  // JSON of the result, or "error: <prefix of the message>"
};

void RunTable(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    std::string got = EvalText(c.expr);
    std::string want = c.want;
    if (want.rfind("error: ", 0) == 0) {
      EXPECT_EQ(got.rfind(want, 0), 0u) << c.expr << " => " << got;
    } else {
      EXPECT_EQ(got, want) << c.expr;
    }
  }
}

TEST(EvalTest, LiteralsAndPaths) {
  RunTable({
      {"42", "42"},
      {"-7", "-7"},
      {"0.5", "0.5"},
      {"1e3", "1000"},
      {"\"a\\\"b\\n\\u00e9\"", "\"a\\\"b\\n\xC3\xA9\""},
      {"true", "true"},
      {"null", "null"},
      {"[1, \"x\", [true]]", "[1,\"x\",[true]]"},
      {"{ \"k\": 1, v: [2] }", "{\"k\":1,\"v\":[2]}"},
      {"{}", "{}"},
      {"a", "1"},
      {"self.a", "1"},
      {"m.x", "1"},
      {"m[\"y-z\"]", "2"},
      {"l[0]", "1"},
      {"l[2]", "3"},
      {"l[3]", "null"},   // out of range reads as null
      {"l[-1]", "null"},
      {"containers[1].image", "\"redis\""},
      {"missing", "null"},        // a missing field reads as null
      {"missing.deeper.still", "null"},
      {"n.x", "null"},
      {"m[\"nope\"]", "null"},
      {"type", "\"RollingUpdate\""},  // keywords are field names
      {"a.x", "error: cannot read field 'x' of integer"},
      {"l[\"x\"]", "error: a list index must be an integer"},
      {"m[0]", "error: a map key must be a string"},
      {"s[0]", "error: cannot index string"},
  });
}

TEST(EvalTest, Comparison) {
  RunTable({
      {"a == 1", "true"},
      {"a == 1.0", "true"},  // numbers compare by value
      {"a != 2", "true"},
      {"s == \"Hello\"", "true"},
      {"l == [1, 2, 3]", "true"},
      {"m == {\"y-z\": 2, x: 1}", "true"},  // map order does not matter
      {"missing == null", "true"},
      {"n == null", "true"},
      {"a == \"1\"", "false"},
      {"1 < 2", "true"},
      {"2 <= 2", "true"},
      {"3 > 2.5", "true"},
      {"2 >= 3", "false"},
      {"\"abc\" < \"abd\"", "true"},
      {"\"b\" > \"abc\"", "true"},
      {"\"a\" < 1", "error: operator '<' needs two numbers or two strings, got string and integer"},
      {"missing > 0", "error: operator '>' needs two numbers or two strings, got null and integer"},
      {"[1] < [2]", "error: operator '<'"},
  });
}

TEST(EvalTest, BooleanLogicShortCircuits) {
  RunTable({
      {"true && false", "false"},
      {"true || false", "true"},
      {"!true", "false"},
      {"!(a == 1 && b)", "false"},
      {"false && missing.x > 1", "false"},  // the right side is not evaluated
      {"true || 1", "true"},
      {"has(missing) && missing > 0", "false"},
      {"true && 1", "error: the operands of '&&' must be a bool, got integer"},
      {"1 || true", "error: the operands of '||' must be a bool, got integer"},
      {"!\"x\"", "error: operator '!' needs a bool, got string"},
      {"!missing", "error: operator '!' needs a bool, got null"},
  });
}

TEST(EvalTest, Arithmetic) {
  RunTable({
      {"1 + 2 * 3", "7"},
      {"(1 + 2) * 3", "9"},
      {"7 / 2", "3"},   // integer division truncates
      {"-7 / 2", "-3"},
      {"7 % 3", "1"},
      {"7.0 / 2", "3.5"},
      {"a + f", "3.5"},
      {"10 - 2 - 3", "5"},  // left associative
      {"-a", "-1"},
      {"-f", "-2.5"},
      {"\"ab\" + \"cd\"", "\"abcd\""},
      {"[1] + [2, 3]", "[1,2,3]"},
      {"1 / 0", "error: division by zero"},
      {"1 % 0", "error: modulo by zero"},
      {"1.5 / 0", "error: division by zero"},
      {"1.5 % 2", "error: operator '%' needs two integers"},
      {"9223372036854775807 + 1", "error: integer overflow in '+'"},
      {"-9223372036854775808 - 1", "error: integer overflow in '-'"},
      {"4611686018427387904 * 2", "error: integer overflow in '*'"},
      {"-9223372036854775808 / -1", "error: integer overflow in '/'"},
      {"-(-9223372036854775808)", "error: integer overflow in negation"},
      {"\"a\" + 1", "error: operator '+' needs two numbers, strings or lists, got string and integer"},
      {"\"a\" - \"b\"", "error: operator '-' needs two numbers, got string and string"},
      {"-\"a\"", "error: operator '-' needs a number, got string"},
      {"missing + 1", "error: operator '+'"},
  });
}

TEST(EvalTest, InOperator) {
  RunTable({
      {"2 in l", "true"},
      {"2.0 in l", "true"},
      {"5 in l", "false"},
      {"\"x\" in m", "true"},
      {"\"q\" in m", "false"},
      {"\"ell\" in s", "true"},
      {"\"a\" in missing", "false"},  // an absent list or map is empty
      {"1 in m", "error: 'in' a map needs a string key"},
      {"1 in a", "error: 'in' needs a list, map or string"},
      {"1 in s", "error: 'in' a string needs a string"},
  });
}

TEST(EvalTest, Conditional) {
  RunTable({
      {"b ? \"yes\" : \"no\"", "\"yes\""},
      {"a > 5 ? 1 : a > 0 ? 2 : 3", "2"},  // right associative
      {"false ? missing.x.y : 0", "0"},
      {"a ? 1 : 2", "error: the condition of '?:' must be a bool, got integer"},
  });
}

TEST(EvalTest, Has) {
  RunTable({
      {"has(a)", "true"},
      {"has(n)", "true"},  // present, even though null
      {"has(missing)", "false"},
      {"has(m.x)", "true"},
      {"has(m.q)", "false"},
      {"has(missing.x)", "false"},
      {"has(a.x)", "false"},
      {"has(m[\"y-z\"])", "true"},
      {"has(l[2])", "true"},
      {"has(l[3])", "false"},
      {"has(self.a)", "true"},
  });
}

TEST(EvalTest, StringFunctions) {
  RunTable({
      {"len(s)", "5"},
      {"len(\"h\\u00e9\")", "2"},  // characters, not bytes
      {"len(l)", "3"},
      {"len(m)", "2"},
      {"len(missing)", "0"},
      {"l.len()", "3"},
      {"s.startsWith(\"He\")", "true"},
      {"startsWith(s, \"lo\")", "false"},
      {"s.endsWith(\"lo\")", "true"},
      {"s.endsWith(\"Hello!\")", "false"},
      {"s.contains(\"ell\")", "true"},
      {"l.contains(2)", "true"},
      {"l.contains(9)", "false"},
      {"s.matches(\"H[a-z]+\")", "true"},
      {"s.matches(\"ell\")", "false"},  // whole match
      {"s.lower()", "\"hello\""},
      {"s.upper()", "\"HELLO\""},
      {"\"a,b,,c\".split(\",\")", "[\"a\",\"b\",\"\",\"c\"]"},
      {"\"abc\".split(\",\")", "[\"abc\"]"},
      {"containers[0].image.split(\":\")[1]", "\"1.25\""},
      {"len(3)", "error: len() needs a string, list or map, got integer"},
      {"a.startsWith(\"x\")", "error: startsWith() needs a string, got integer"},
      {"missing.startsWith(\"x\")", "error: startsWith() needs a string, got null"},
      {"s.startsWith(1)", "error: startsWith() needs a string argument, got integer"},
      {"s.matches(\"(\")", "error: invalid regular expression"},
      {"s.split(\"\")", "error: split() needs a non-empty separator"},
  });
}

TEST(EvalTest, MapFunctions) {
  RunTable({
      {"keys(m)", "[\"x\",\"y-z\"]"},
      {"m.keys()", "[\"x\",\"y-z\"]"},
      {"values(m)", "[1,2]"},
      {"keys(missing)", "[]"},
      {"keys(l)", "error: keys() needs a map, got list"},
  });
}

TEST(EvalTest, Conversions) {
  RunTable({
      {"quantity(\"100m\")", "0.1"},
      {"quantity(mem)", "67108864"},
      {"quantity(\"1G\") == 1000000000", "true"},
      {"quantity(\"1e3\")", "1000"},
      {"quantity(2)", "2"},
      {"quantity(\"1.5Gi\") > quantity(\"1Gi\")", "true"},
      {"quantity(\"12x\")", "error: invalid quantity \"12x\""},
      {"quantity(true)", "error: quantity() needs a string or number"},
      {"duration(\"1m30s\")", "90000"},
      {"duration(\"x\")", "error: invalid duration \"x\""},
      {"string(42)", "\"42\""},
      {"string(2.5)", "\"2.5\""},
      {"string(true)", "\"true\""},
      {"string(\"s\")", "\"s\""},
      {"string(null)", "\"null\""},
      {"string(l)", "\"[1,2,3]\""},
      {"int(\"42\")", "42"},
      {"int(\"-3\")", "-3"},
      {"int(2.9)", "2"},
      {"int(-2.9)", "-2"},
      {"int(true)", "1"},
      {"int(\"4x\")", "error: int(): \"4x\" is not an integer"},
      {"int(\"\")", "error: int(): \"\" is not an integer"},
      {"int(1e300)", "error: int(): "},
      {"int(l)", "error: int() needs a number, string or bool"},
      {"float(2)", "2"},
      {"float(\"2.5\")", "2.5"},
      {"float(\"x\")", "error: float(): \"x\" is not a number"},
  });
}

TEST(EvalTest, Quantifiers) {
  RunTable({
      {"all(x in l : x > 0)", "true"},
      {"all(x in l : x > 1)", "false"},
      {"any(x in l : x == 2)", "true"},
      {"any(x in l : x == 9)", "false"},
      {"count(x in l : x >= 2)", "2"},
      {"filter(x in l : x != 2)", "[1,3]"},
      {"map(x in l : x * 10)", "[10,20,30]"},
      {"all(c in containers : has(c.image))", "true"},
      {"map(c in containers : c.name)", "[\"a\",\"b\"]"},
      {"any(c in containers : c.image.endsWith(\":latest\"))", "false"},
      {"all(k in m : k.startsWith(\"x\") || k == \"y-z\")", "true"},  // maps range over keys
      {"all(x in missing : false)", "true"},  // an absent list is empty
      {"any(x in missing : true)", "false"},
      {"count(x in [] : true)", "0"},
      // Nested quantifiers see the outer variable; the inner one shadows.
      {"all(x in l : any(y in l : y == x))", "true"},
      {"map(x in [[1, 2], [3]] : map(x in x : x + 1))", "[[2,3],[4]]"},
      {"count(x in l : x == a)", "1"},  // fields stay visible
      {"map(x in l : x)[1]", "2"},
      {"all(x in l : x)", "error: the condition of all() must be a bool, got integer"},
      {"all(x in a : true)", "error: all() ranges over a list or map, got integer"},
      {"any(x in l : 1 / (x - 2) > 0)", "error: division by zero"},
  });
}

TEST(EvalTest, ShortCircuitingQuantifiersStopEarly) {
  // all() stops at the first false, so the division by zero is never reached.
  EXPECT_EQ(EvalText("all(x in [1, 0] : x > 0 && 1 / x > 0)"), "false");
  EXPECT_EQ(EvalText("any(x in [1, 0] : 1 / x == 1)"), "true");
}

TEST(EvalTest, RunawayEvaluationIsStopped) {
  // 10^7 predicate evaluations: over the budget, so an error, quickly.
  std::string ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
  std::string expr = "count(a in " + ten + " : count(b in " + ten + " : count(c in " + ten +
                     " : count(d in " + ten + " : count(e in " + ten + " : count(f in " + ten +
                     " : count(g in " + ten + " : true) > 0) > 0) > 0) > 0) > 0) > 0)";
  EXPECT_EQ(EvalText(expr).rfind("error: expression too expensive to evaluate", 0), 0u);
  // Within the budget, nesting is fine.
  EXPECT_EQ(EvalText("count(a in " + ten + " : count(b in " + ten + " : true) == 10)"), "10");
}

TEST(EvalTest, BindingsComeBeforeFields) {
  Value ns = Value::String("prod");
  Value override_a = Value::Int(99);
  Binding bindings[] = {{"namespace", &ns}, {"a", &override_a}};
  EXPECT_EQ(EvalText("namespace + \"-\" + string(a)", Doc(), bindings), "\"prod-99\"");
  EXPECT_EQ(EvalText("has(namespace)", Doc(), bindings), "true");
}

TEST(EvalTest, KeywordsAsFieldNames) {
  Value self = Value::MakeMap({{"where", Value::Int(1)},
                               {"in", Value::Int(2)},
                               {"kind", Value::String("Pod")},
                               {"policy", Value::String("p")},
                               {"keyed", Value::Bool(true)}});
  EXPECT_EQ(EvalText("self.where + self[\"in\"]", self), "3");
  EXPECT_EQ(EvalText("kind == \"Pod\" && keyed && policy == \"p\"", self), "true");
  EXPECT_EQ(EvalText("{type: 1}.type", self), "1");
}

TEST(EvalTest, NullSelfReadsAsEmptyRecord) {
  auto expr = Parse("has(x) || x == null");
  EvalScope scope;  // self = null
  auto v = Evaluate(*expr, scope);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->as_bool());
}

TEST(EvalTest, ErrorPositionPointsAtTheFailingSubexpression) {
  Diagnostics diags;
  auto e = ParseExpression("a == 1 &&\n  s < 3", "rule.gorch", diags);
  ASSERT_TRUE(e.ok());
  Value doc = Doc();
  SourcePos pos;
  auto v = Evaluate(**e, EvalScope{&doc, {}}, &pos);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.status().IsInvalidArgument());
  EXPECT_EQ(pos.ToString(), "rule.gorch:2:5");  // the '<'
}

TEST(EvalTest, ResultsKeepDocumentPositions) {
  Value doc = Value::MakeMap({{"port", Value::Int(8080, {"svc.yaml", 7, 11})}});
  Diagnostics diags;
  auto e = ParseExpression("port", "schema", diags);
  ASSERT_TRUE(e.ok());
  auto v = Evaluate(**e, EvalScope{&doc, {}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_int(), 8080);
  EXPECT_EQ(v->pos().ToString(), "svc.yaml:7:11");
}

TEST(EvalBoolTest, RequiresABool) {
  Value doc = Doc();
  auto yes = EvaluateBool(*Parse("a == 1"), EvalScope{&doc, {}});
  ASSERT_TRUE(yes.ok());
  EXPECT_TRUE(*yes);
  SourcePos pos;
  auto bad = EvaluateBool(*Parse("a"), EvalScope{&doc, {}}, &pos);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "condition must be a bool, got integer");
  EXPECT_EQ(pos.line, 1u);
  auto missing = EvaluateBool(*Parse("missing"), EvalScope{&doc, {}});
  EXPECT_FALSE(missing.ok());
}

TEST(EvalTest, DocumentedConstraintExample) {
  auto rule = Parse("!(maxUnavailable == 0 && maxSurge == 0)");
  Value both_zero =
      Value::MakeMap({{"maxUnavailable", Value::Int(0)}, {"maxSurge", Value::Int(0)}});
  Value one_zero =
      Value::MakeMap({{"maxUnavailable", Value::Int(0)}, {"maxSurge", Str("25%")}});
  EXPECT_FALSE(*EvaluateBool(*rule, EvalScope{&both_zero, {}}));
  EXPECT_TRUE(*EvaluateBool(*rule, EvalScope{&one_zero, {}}));
}

}  // namespace
}  // namespace gorch::lang

// Diagnostics of schema and expression parsing: syntax errors at exact
// file:line:col, semantic errors of declarations, and name resolution.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gorch/lang/expr.h"
#include "gorch/lang/types.h"

namespace gorch::lang {
namespace {

constexpr const char* kMiniPrelude = "type ObjectMeta = { name?: string }\n";

std::vector<std::string> Messages(const Diagnostics& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags.all()) out.push_back(d.ToString());
  return out;
}

// All diagnostics of loading `text` as "s.gorch" (with a mini prelude) and
// finalizing.
std::vector<std::string> SchemaErrors(const std::string& text) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("prelude.gorch", kMiniPrelude, diags);
  set.AddFile("s.gorch", text, diags);
  bool finalized = set.Finalize(diags);
  EXPECT_EQ(finalized, !diags.HasErrors());
  return Messages(diags);
}

std::vector<std::string> ExprErrors(const std::string& text) {
  Diagnostics diags;
  auto e = ParseExpression(text, "e", diags);
  EXPECT_FALSE(e.ok()) << text;
  if (!e.ok() && !diags.all().empty()) {
    EXPECT_TRUE(e.status().IsInvalidArgument());
    EXPECT_EQ(e.status().message(), diags.all()[0].ToString());  // the first error
  }
  return Messages(diags);
}

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SyntaxErrorTest, MissingColonPointsAtTheToken) {
  EXPECT_EQ(SchemaErrors("type T = {\n  a int\n}\n"),
            std::vector<std::string>{
                "s.gorch:2:5: error[syntax]: syntax error: unexpected 'int'; expected ':' or '?'"});
  EXPECT_EQ(SchemaErrors("type T = { a: int }\nkind K \"v1\" { spec: T\n"),
            std::vector<std::string>{
                "s.gorch:3:1: error[syntax]: syntax error: unexpected end of file; expected '}'"});
}

TEST(SyntaxErrorTest, UnexpectedTokenSaysWhatWasExpected) {
  auto errors = SchemaErrors("type T = {\n  a: int\n}\ntype U = ;\n");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "s.gorch:4:10: error[syntax]: syntax error: unexpected character ';'; expected a type");
}

TEST(SyntaxErrorTest, BadCharacterAndUnterminatedString) {
  EXPECT_EQ(SchemaErrors("type T = int\n  # comment?\n"),
            std::vector<std::string>{
                "s.gorch:2:3: error[syntax]: syntax error: unexpected character '#'; expected end "
                "of file, 'type', 'kind' or 'deprecated'"});
  EXPECT_EQ(SchemaErrors("type T = \"abc\ntype U = int\n"),
            std::vector<std::string>{
                "s.gorch:1:10: error[syntax]: unterminated string (missing closing '\"' on this "
                "line)"});
}

TEST(SyntaxErrorTest, UnterminatedBlockComment) {
  auto errors = SchemaErrors("type T = int\n/* never closed\n type U = int\n");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "s.gorch:2:1: error[syntax]: unterminated block comment (missing '*/')");
}

TEST(SyntaxErrorTest, EndOfFile) {
  EXPECT_EQ(SchemaErrors("type T = {\n  a?: int\n"),
            std::vector<std::string>{
                "s.gorch:3:1: error[syntax]: syntax error: unexpected end of file; expected "
                "'}'"});
}

TEST(SyntaxErrorTest, EveryErrorIsReportedAndGoodDeclarationsSurvive) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("s.gorch",
              "type A = { x: int }\n"
              "type B = { y int }\n"       // error 1
              "type C = { z: A }\n"
              "type D = { w: int = }\n"    // error 2
              "type E = { v: B }\n",       // B was dropped: no cascade error
              diags);
  set.Finalize(diags);
  auto errors = Messages(diags);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "s.gorch:2:14: error[syntax]: syntax error: unexpected 'int'; expected ':' or '?'");
  EXPECT_THAT(errors[1], HasSubstr("s.gorch:4:21: error[syntax]: syntax error: unexpected '}'"));
  EXPECT_NE(set.FindType("A"), nullptr);
  EXPECT_NE(set.FindType("C"), nullptr);
  EXPECT_EQ(set.FindType("B"), nullptr);
}

TEST(SyntaxErrorTest, AnUnclosedRecordDoesNotSwallowTheNextDeclaration) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("s.gorch", "type A = {\n  x?: int\n\ntype B = { y?: string }\n", diags);
  set.Finalize(diags);
  auto errors = Messages(diags);
  EXPECT_THAT(errors, ElementsAre("s.gorch:4:1: error[syntax]: syntax error: unexpected 'type'; "
                                  "expected '}'"));
  EXPECT_NE(set.FindType("B"), nullptr);
}

TEST(SyntaxErrorTest, InvalidUtf8IsReportedNotThrown) {
  EXPECT_EQ(SchemaErrors("type T = {\n  a: \"\xff\"\n}\n"),
            std::vector<std::string>{"s.gorch:2:7: error[syntax]: text is not valid UTF-8"});
}

TEST(SyntaxErrorTest, BadEscapesPointAtTheBackslash) {
  EXPECT_EQ(SchemaErrors("type T = { a?: string = \"ok\\q\" }\n"),
            std::vector<std::string>{"s.gorch:1:28: error[syntax]: invalid escape '\\q' (use "
                                     "\\\", \\\\, \\n, \\t, \\r or \\uXXXX)"});
  EXPECT_THAT(SchemaErrors("type T = { a?: string = \"\\u12\" }\n"),
              ElementsAre(HasSubstr("s.gorch:1:26: error[syntax]: invalid escape: \\u needs four")));
  EXPECT_THAT(SchemaErrors("type T = { a?: string = \"\\ud800\" }\n"),
              ElementsAre(HasSubstr("unpaired surrogate")));
}

TEST(SyntaxErrorTest, DeepNestingIsRefusedNotCrashing) {
  std::string deep = "type T = int(min: " + std::string(5000, '(') + "1" +
                     std::string(5000, ')') + ")\n";
  auto errors = SchemaErrors(deep);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("nested too deeply"));
  EXPECT_THAT(ExprErrors(std::string(100000, '!') + "x"),
              ElementsAre(HasSubstr("e:1:97: error[nesting]: nested too deeply")));
  EXPECT_THAT(ExprErrors(std::string(3000, '[') + std::string(3000, ']')),
              ElementsAre(HasSubstr("nested too deeply")));
  std::string types = "type T = ";
  for (int i = 0; i < 3000; ++i) types += "list<";
  types += "int" + std::string(3000, '>') + "\n";
  EXPECT_THAT(SchemaErrors(types), ElementsAre(HasSubstr("nested too deeply")));
  std::string named = "type T = ";
  for (int i = 0; i < 3000; ++i) named += "Foo<";
  EXPECT_THAT(SchemaErrors(named + "int" + std::string(3000, '>') + "\n"),
              ElementsAre(HasSubstr("nested too deeply")));
  // Many comparisons at one level are not nesting.
  std::string wide = "type T = { a?: int } where ";
  for (int i = 0; i < 120; ++i) wide += "a < " + std::to_string(i) + " && ";
  EXPECT_THAT(SchemaErrors(wide + "true : \"m\"\n"), ElementsAre());
}

TEST(SyntaxErrorTest, LongOperatorChainsAreBounded) {
  std::string chain = "1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  EXPECT_THAT(ExprErrors(chain), ElementsAre(HasSubstr("expression nested too deeply")));
  std::string ternaries;
  for (int i = 0; i < 5000; ++i) ternaries += "a ? b : ";
  ternaries += "c";
  EXPECT_THAT(ExprErrors(ternaries), ElementsAre(HasSubstr("nested too deeply")));
}

TEST(ExpressionErrorTest, Syntax) {
  EXPECT_THAT(ExprErrors("a +"),
              ElementsAre("e:1:4: error[syntax]: syntax error: unexpected end of file; expected "
                          "an expression"));
  EXPECT_THAT(ExprErrors("a b"), ElementsAre(HasSubstr("e:1:3: error[syntax]")));
  EXPECT_THAT(ExprErrors("(a"), ElementsAre(HasSubstr("e:1:3: error[syntax]")));
  EXPECT_THAT(ExprErrors(""), ElementsAre(HasSubstr("e:1:1: error[syntax]")));
  EXPECT_THAT(ExprErrors("a ==\n  == b"), ElementsAre(HasSubstr("e:2:3: error[syntax]")));
}

TEST(ExpressionErrorTest, Semantics) {
  EXPECT_THAT(ExprErrors("lenn(x)"),
              ElementsAre("e:1:1: error[expr]: unknown function 'lenn' (did you mean 'len'?)"));
  EXPECT_THAT(ExprErrors("len(a, b)"),
              ElementsAre("e:1:1: error[expr]: len() takes 1 argument, got 2"));
  EXPECT_THAT(ExprErrors("s.startsWith()"),
              ElementsAre("e:1:3: error[expr]: startsWith() takes 1 argument when called as a "
                          "method, got 0"));
  EXPECT_THAT(ExprErrors("has(1)"),
              ElementsAre("e:1:1: error[expr]: has() needs a field path, like has(spec.replicas)"));
  EXPECT_THAT(ExprErrors("x.has(y)"),
              ElementsAre(HasSubstr("has() cannot be called as a method")));
  EXPECT_THAT(ExprErrors("all(l)"),
              ElementsAre("e:1:1: error[expr]: all() is written all(x in LIST : CONDITION)"));
  EXPECT_THAT(ExprErrors("sum(x in l : x)"),
              ElementsAre(HasSubstr("'sum' is not a quantifier; use all, any, count, filter or map")));
  EXPECT_THAT(ExprErrors("9223372036854775808"),
              ElementsAre("e:1:1: error[expr]: integer literal 9223372036854775808 is out of range"));
  EXPECT_THAT(ExprErrors("1e999"), ElementsAre(HasSubstr("number literal 1e999 is out of range")));
  EXPECT_THAT(ExprErrors("{a: 1, \"a\": 2}"),
              ElementsAre(HasSubstr("e:1:8: error[expr]: duplicate key \"a\" in map literal")));
  // Every error of one expression is reported.
  EXPECT_EQ(ExprErrors("foo(1) + bar(2)").size(), 2u);
}

TEST(DeclarationErrorTest, Duplicates) {
  EXPECT_THAT(SchemaErrors("type A = int\ntype A = string\n"),
              ElementsAre("s.gorch:2:6: error[schema]: duplicate type 'A' (first declared at "
                          "s.gorch:1:6)"));
  EXPECT_THAT(SchemaErrors("type A = { x: int, y: int, x: string }\n"),
              ElementsAre("s.gorch:1:28: error[schema]: duplicate field 'x' (first declared at "
                          "s.gorch:1:12)"));
  EXPECT_THAT(SchemaErrors("kind K \"v1\" {}\nkind K \"v1\" {}\n"),
              ElementsAre("s.gorch:2:6: error[schema]: duplicate kind K \"v1\" (first declared at "
                          "s.gorch:1:6)"));
  EXPECT_THAT(SchemaErrors("type E = \"a\" | \"b\" | \"a\"\n"),
              ElementsAre("s.gorch:1:22: error[schema]: duplicate enum value \"a\""));
  EXPECT_THAT(SchemaErrors("kind K \"v1\" {}\nkind K \"v2\" {}\ndeprecated K \"v0\" -> \"v1\"\n"
                           "deprecated K \"v0\" -> \"v2\"\n"),
              ElementsAre(HasSubstr("s.gorch:4:12: error[schema]: duplicate deprecation of K")));
}

TEST(DeclarationErrorTest, BadDeclarations) {
  EXPECT_THAT(SchemaErrors("type int = string\n"),
              ElementsAre("s.gorch:1:6: error[schema]: 'int' is a builtin type and cannot be "
                          "declared"));
  EXPECT_THAT(SchemaErrors("type A = { a: int = 1 }\n"),
              ElementsAre("s.gorch:1:21: error[schema]: required field 'a' cannot have a default "
                          "(write 'a?:')"));
  EXPECT_THAT(SchemaErrors("type A = { ..., a?: int }\n"),
              ElementsAre("s.gorch:1:12: error[schema]: '...' must be the last member of a record"));
  EXPECT_THAT(SchemaErrors("type A = int where self > 0 : \"positive\"\n"),
              ElementsAre(HasSubstr("'where' constraints apply to records")));
  EXPECT_THAT(SchemaErrors("kind K \"apps/v1\" { metadata?: any }\n"),
              ElementsAre("s.gorch:1:20: error[schema]: field 'metadata' is implicit in every "
                          "kind and cannot be declared"));
  EXPECT_THAT(SchemaErrors("kind K \"Apps/V1\" {}\n"),
              ElementsAre(HasSubstr("s.gorch:1:8: error[schema]: invalid apiVersion \"Apps/V1\"")));
  EXPECT_THAT(SchemaErrors("kind K \"v1\" cluster cluster {}\n"),
              ElementsAre(HasSubstr("duplicate modifier 'cluster'")));
  EXPECT_THAT(SchemaErrors("kind K \"v1\" {}\ndeprecated K \"v1\" -> \"v1\"\n"),
              ElementsAre(HasSubstr("cannot be its own replacement")));
}

TEST(DeclarationErrorTest, BadTypeExpressions) {
  EXPECT_THAT(SchemaErrors("type A = list\n"),
              ElementsAre("s.gorch:1:10: error[schema]: 'list' needs 1 type argument: list<T>"));
  EXPECT_THAT(SchemaErrors("type A = map<string>\n"),
              ElementsAre(HasSubstr("'map' needs 2 type arguments: map<K, V>")));
  EXPECT_THAT(SchemaErrors("type A = int<string>\n"),
              ElementsAre(HasSubstr("type 'int' takes no type arguments")));
  EXPECT_THAT(SchemaErrors("type A = ref<list<int>>\n"),
              ElementsAre(HasSubstr("ref<...> takes the name of a kind")));
  EXPECT_THAT(SchemaErrors("type A = int(5..1)\n"),
              ElementsAre(HasSubstr("empty range: minimum 5 > maximum 1")));
  EXPECT_THAT(SchemaErrors("type A = string(1..2)\n"),
              ElementsAre(HasSubstr("a range (MIN..MAX) applies only to int")));
  EXPECT_THAT(SchemaErrors("type A = string(maxlen: 3)\n"),
              ElementsAre("s.gorch:1:17: error[schema]: unknown refinement 'maxlen' for string "
                          "(expected pattern, minLen, maxLen, format)"));
  EXPECT_THAT(SchemaErrors("type A = string(format: email)\n"),
              ElementsAre(HasSubstr("unknown format 'email'")));
  EXPECT_THAT(SchemaErrors("type A = string(pattern: \"([a-z\")\n"),
              ElementsAre(HasSubstr("invalid regular expression")));
  EXPECT_THAT(SchemaErrors("type A = string(maxLen: -1)\n"),
              ElementsAre(HasSubstr("maxLen must be an integer from 0 to 4294967295")));
  EXPECT_THAT(SchemaErrors("type A = string(minLen: 5, maxLen: 2)\n"),
              ElementsAre(HasSubstr("minLen is greater than maxLen")));
  EXPECT_THAT(SchemaErrors("type A = bool(x: 1)\n"),
              ElementsAre(HasSubstr("'bool' takes no refinements")));
  EXPECT_THAT(SchemaErrors("type B = int\ntype A = B(1..2)\n"),
              ElementsAre(HasSubstr("refinements apply to builtin types")));
  EXPECT_THAT(SchemaErrors("type A = string keyed name\n"),
              ElementsAre(HasSubstr("'keyed' applies only to list<T>")));
  EXPECT_THAT(SchemaErrors("type A = int(min: 1, min: 2)\n"),
              ElementsAre(HasSubstr("duplicate refinement 'min'")));
}

TEST(ResolutionErrorTest, UnknownNamesWithSuggestions) {
  EXPECT_THAT(SchemaErrors("type A = { c?: Containr }\ntype Container = {}\n"),
              ElementsAre("s.gorch:1:16: error[schema]: unknown type 'Containr' (did you mean "
                          "'Container'?)"));
  EXPECT_THAT(SchemaErrors("type A = { n?: Nothing }\n"),
              ElementsAre("s.gorch:1:16: error[schema]: unknown type 'Nothing'"));
  EXPECT_THAT(SchemaErrors("type A = { q?: Quantity }\n"),
              ElementsAre(HasSubstr("unknown type 'Quantity' (did you mean 'quantity'?)")));
  EXPECT_THAT(SchemaErrors("type A = { r?: ref<ConfigMapp> }\nkind ConfigMap \"v1\" {}\n"),
              ElementsAre("s.gorch:1:20: error[schema]: unknown kind 'ConfigMapp' in "
                          "ref<ConfigMapp> (did you mean 'ConfigMap'?)"));
  EXPECT_THAT(SchemaErrors("kind K \"v1\" {}\ndeprecated K \"v0\" -> \"v9\"\n"),
              ElementsAre("s.gorch:2:12: error[schema]: replacement K \"v9\" is not declared"));
}

TEST(ResolutionErrorTest, CyclesThatCannotBeTypes) {
  EXPECT_THAT(SchemaErrors("type A = B\ntype B = A\n"),
              ElementsAre(HasSubstr("type alias cycle: ")));
  EXPECT_THAT(SchemaErrors("type A = A\n"), ElementsAre(HasSubstr("type alias cycle: A -> A")));
  EXPECT_THAT(SchemaErrors("type U = int | U\n"),
              ElementsAre("s.gorch:1:6: error[schema]: union type 'U' contains itself as an "
                          "alternative"));
  // Through a record is fine: recursion is allowed.
  EXPECT_THAT(SchemaErrors("type U = int | { next?: U }\n"), ElementsAre());
}

TEST(ResolutionErrorTest, StructuralChecks) {
  EXPECT_THAT(SchemaErrors("type A = map<int, string>\n"),
              ElementsAre("s.gorch:1:14: error[schema]: map keys must be a string type, got "
                          "integer"));
  EXPECT_THAT(SchemaErrors("type K = \"a\" | \"b\"\ntype A = map<K, int>\n"), ElementsAre());
  EXPECT_THAT(SchemaErrors("type A = list<Item> keyed id\ntype Item = { name: string }\n"),
              ElementsAre("s.gorch:1:27: error[schema]: list key 'id' is not a field of Item"));
  EXPECT_THAT(SchemaErrors("type A = list<int> keyed id\n"),
              ElementsAre(HasSubstr("'keyed id' needs a list of records, got list<integer>")));
}

TEST(ResolutionErrorTest, ConstantDefaultsMustFitTheirType) {
  EXPECT_THAT(SchemaErrors("type P = \"TCP\" | \"UDP\"\ntype A = { p?: P = \"TCPP\" }\n"),
              ElementsAre("s.gorch:2:20: error[schema]: default of 'p' does not fit its type: "
                          "\"TCPP\" is not one of P"));
  EXPECT_THAT(SchemaErrors("type A = { port?: int(1..65535) = 0 }\n"),
              ElementsAre(HasSubstr("0 is out of range integer(1..65535)")));
  EXPECT_THAT(SchemaErrors("type A = { n?: DnsLabel = \"Web\" }\ntype DnsLabel = "
                           "string(format: dns1123label)\n"),
              ElementsAre(HasSubstr("\"Web\" must consist of lower case alphanumeric")));
  EXPECT_THAT(SchemaErrors("type R = { need: int, opt?: int }\ntype A = { r?: R = {} }\n"),
              ElementsAre(HasSubstr("required field 'need' is missing")));
  EXPECT_THAT(SchemaErrors("type R = { opt?: int }\ntype A = { r?: R = { opt: 1, nope: 2 } }\n"),
              ElementsAre(HasSubstr("'nope' is not a field of R")));
  EXPECT_THAT(SchemaErrors("type A = { l?: list<int>(minItems: 1) = [] }\n"),
              ElementsAre(HasSubstr("wrong number of items")));
  EXPECT_THAT(SchemaErrors("type A = { q?: quantity = \"1kb\" }\n"),
              ElementsAre(HasSubstr("\"1kb\" is not a quantity")));
  // What fits is accepted, and defaults that read the document are not judged here.
  EXPECT_THAT(SchemaErrors("type IOS = int | string(format: percent)\n"
                           "type A = {\n"
                           "  a?: IOS = \"25%\"\n  b?: IOS = 3\n  c?: quantity = \"100m\"\n"
                           "  d?: duration = \"1m\"\n  e?: map<string, list<int>> = {x: [1]}\n"
                           "  f?: int = g\n  g?: string = \"x\"\n"
                           "  h?: { ... } = { anything: true }\n"
                           "}\n"),
              ElementsAre());
}

TEST(ResolutionErrorTest, KindsNeedObjectMeta) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("k.gorch", "kind K \"v1\" {}\n", diags);
  EXPECT_FALSE(set.Finalize(diags));
  EXPECT_THAT(Messages(diags),
              ElementsAre(HasSubstr("k.gorch:1:6: error[schema]: kinds need the type ObjectMeta")));
}

TEST(ResolutionErrorTest, LifecycleMisuseIsReported) {
  SchemaSet set;
  Diagnostics diags;
  ASSERT_TRUE(set.Finalize(diags));
  set.AddFile("late.gorch", "type A = int", diags);
  EXPECT_FALSE(set.Finalize(diags));
  EXPECT_THAT(Messages(diags),
              ElementsAre(HasSubstr("added after the schema set was finalized"),
                          HasSubstr("Finalize called twice")));
}

TEST(ResolutionErrorTest, FilesAreReportedInOrderWithTheirNames) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("one.gorch", "type A = { b?: Missing1 }", diags);
  set.AddFile("two.gorch", "type B = { c?: Missing2 }", diags);
  set.Finalize(diags);
  EXPECT_THAT(Messages(diags), ElementsAre(HasSubstr("one.gorch:1:16"), HasSubstr("two.gorch:1:16")));
}

}  // namespace
}  // namespace gorch::lang

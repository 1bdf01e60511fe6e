// ParseYaml: positions, YAML features, Kubernetes scalar resolution, and every
// limit and error the loader promises.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

#include "gorch/compiler/loader.h"

namespace gorch::compiler {
namespace {

using lang::Value;

struct Parsed {
  std::vector<Manifest> manifests;
  lang::Diagnostics diags;
};

Parsed Parse(std::string_view text, LoadOptions options = {}) {
  Parsed p;
  p.manifests = ParseYaml("m.yaml", text, options, p.diags);
  return p;
}

std::string Where(const Value* v) { return v ? v->pos().ToString() : "(missing)"; }

// The only diagnostic, as "file:line:col: error[code]: message".
std::string OnlyError(const Parsed& p) {
  if (p.diags.all().size() != 1) {
    std::string all;
    for (const auto& d : p.diags.all()) all += d.ToString() + "\n";
    return "expected one diagnostic, got " + std::to_string(p.diags.all().size()) + ":\n" + all;
  }
  return p.diags.all()[0].ToString();
}

TEST(YamlLoaderTest, MultiDocumentPositionsAreExact) {
  Parsed p = Parse(
      "# leading comment\n"
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata:\n"
      "  name: first\n"
      "data:\n"
      "  k: \"v\"\n"
      "---\n"
      "---\n"
      "# only a comment\n"
      "---\n"
      "apiVersion: v1\n"
      "kind: Secret\n"
      "metadata: {name: second, labels: {app: web}}\n"
      "stringData:\n"
      "  - not: really\n");
  ASSERT_FALSE(p.diags.HasErrors()) << p.diags.all()[0].ToString();
  ASSERT_EQ(p.manifests.size(), 2u);
  const Value& a = p.manifests[0].doc;
  EXPECT_EQ(p.manifests[0].pos.ToString(), "m.yaml:2:1");
  EXPECT_EQ(Where(a.Find("kind")), "m.yaml:3:7");
  EXPECT_EQ(Where(a.FindPath("metadata")), "m.yaml:5:3");
  EXPECT_EQ(Where(a.FindPath("metadata.name")), "m.yaml:5:9");
  EXPECT_EQ(Where(a.FindPath("data.k")), "m.yaml:7:6");
  const Value& b = p.manifests[1].doc;
  EXPECT_EQ(p.manifests[1].pos.ToString(), "m.yaml:12:1");
  EXPECT_EQ(Where(b.Find("metadata")), "m.yaml:14:11");
  EXPECT_EQ(Where(b.FindPath("metadata.name")), "m.yaml:14:18");
  EXPECT_EQ(Where(b.FindPath("metadata.labels.app")), "m.yaml:14:40");
  const Value* list = b.Find("stringData");
  ASSERT_TRUE(list && list->is_list());
  EXPECT_EQ(list->pos().ToString(), "m.yaml:16:3");
  EXPECT_EQ(Where(list->as_list()[0].Find("not")), "m.yaml:16:10");
  EXPECT_EQ(a.FindPath("metadata.name")->as_string(), "first");
  EXPECT_EQ(b.FindPath("metadata.labels.app")->as_string(), "web");
}

TEST(YamlLoaderTest, KeysKeepSourceOrder) {
  Parsed p = Parse("kind: X\nzeta: 1\nalpha: 2\nmid: 3\n");
  ASSERT_EQ(p.manifests.size(), 1u);
  const auto& m = p.manifests[0].doc.as_map();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].first, "zeta");
  EXPECT_EQ(m[2].first, "alpha");
  EXPECT_EQ(m[3].first, "mid");
}

TEST(YamlLoaderTest, FlowStyle) {
  Parsed p = Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {a: \"1\", b: [1, 2.5, [true]]}}\n");
  ASSERT_FALSE(p.diags.HasErrors()) << OnlyError(p);
  ASSERT_EQ(p.manifests.size(), 1u);
  const Value& d = p.manifests[0].doc;
  EXPECT_EQ(p.manifests[0].pos.ToString(), "m.yaml:1:1");
  EXPECT_EQ(d.FindPath("data.a")->as_string(), "1");
  const auto& b = d.FindPath("data.b")->as_list();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].as_int(), 1);
  EXPECT_EQ(b[1].as_float(), 2.5);
  EXPECT_TRUE(b[2].as_list()[0].as_bool());
  EXPECT_EQ(b[1].pos().ToString(), "m.yaml:1:78");
}

TEST(YamlLoaderTest, AnchorsAliasesAndMergeKeys) {
  Parsed p = Parse(
      "kind: Deployment\n"
      "base: &labels {app: web, tier: front}\n"
      "copy: *labels\n"
      "merged:\n"
      "  <<: *labels\n"
      "  tier: back\n"
      "early:\n"
      "  tier: first\n"
      "  <<: [*labels, {zone: a, app: ignored}]\n"
      "list: &l [1, 2]\n"
      "again: *l\n");
  ASSERT_FALSE(p.diags.HasErrors()) << OnlyError(p);
  ASSERT_EQ(p.manifests.size(), 1u);
  const Value& d = p.manifests[0].doc;
  EXPECT_EQ(*d.Find("copy"), *d.Find("base"));
  EXPECT_EQ(d.FindPath("copy.app")->pos().ToString(), "m.yaml:2:21");  // where the content is written
  EXPECT_EQ(d.FindPath("merged.app")->as_string(), "web");
  EXPECT_EQ(d.FindPath("merged.tier")->as_string(), "back");  // explicit key after << wins
  EXPECT_EQ(d.FindPath("early.tier")->as_string(), "first");  // explicit key before << wins
  EXPECT_EQ(d.FindPath("early.app")->as_string(), "web");     // first map of the list wins
  EXPECT_EQ(d.FindPath("early.zone")->as_string(), "a");
  EXPECT_EQ(d.FindPath("merged")->as_map().size(), 2u);
  EXPECT_EQ(d.Find("again")->as_list().size(), 2u);
}

TEST(YamlLoaderTest, AliasBombIsStoppedFast) {
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += (i ? ",*" : "*") + prev;
    bomb += "]\n";
  }
  Parsed p = Parse(bomb);  // would be 9^9 = 387M strings if expanded
  EXPECT_TRUE(p.manifests.empty());
  std::string err = OnlyError(p);
  EXPECT_NE(err.find("error[alias-limit]"), std::string::npos) << err;
  EXPECT_NE(err.find("billion laughs"), std::string::npos) << err;

  LoadOptions small;
  small.max_alias_nodes = 20;
  Parsed q = Parse("kind: X\na: &a [1, 2, 3, 4, 5, 6, 7]\nb: [*a, *a]\nc: *a\n", small);
  EXPECT_EQ(OnlyError(q), "m.yaml:4:4: error[alias-limit]: aliases expand to more than 20 nodes (max_alias_nodes); "
                          "refusing a document that grows exponentially (\"billion laughs\")");
}

TEST(YamlLoaderTest, AliasedLongStringsAreBoundedByBytes) {
  LoadOptions options;
  options.max_file_bytes = 4096;  // alias text budget: 4 x 4096 bytes
  std::string text = "kind: X\nbig: &s " + std::string(1000, 'x') + "\ncopies: [";
  for (int i = 0; i < 20; ++i) text += i ? ", *s" : "*s";
  text += "]\n";
  std::string err = OnlyError(Parse(text, options));
  EXPECT_NE(err.find("error[alias-limit]: aliases expand to more than 16384 bytes of text"), std::string::npos) << err;
  EXPECT_FALSE(Parse("kind: X\nbig: &s " + std::string(1000, 'x') + "\ncopies: [*s, *s, *s]\n", options)
                   .diags.HasErrors());
}

TEST(YamlLoaderTest, RecursiveAliasIsAnError) {
  Parsed p = Parse("kind: X\na: &a [1, *a]\n");
  EXPECT_NE(OnlyError(p).find("m.yaml:2:11: error[yaml-syntax]"), std::string::npos) << OnlyError(p);
}

// yaml-cpp's parser recurses per nesting level; these must end in a clear
// error, not a stack overflow, even on a thread with a small stack.
TEST(YamlLoaderTest, DepthBombsGiveAClearError) {
  const std::string flow(100000, '[');
  std::string block;
  for (int i = 0; i < 50000; ++i) block += "- ";
  block += "x\n";
  std::string maps = "a: ";
  for (int i = 0; i < 50000; ++i) maps += "{a: ";
  for (const std::string* text : std::vector<const std::string*>{&flow, &block, &maps}) {
    Parsed p;
    std::thread t([&] { p = Parse(*text); });
    t.join();
    EXPECT_TRUE(p.manifests.empty());
    std::string err = OnlyError(p);
    EXPECT_NE(err.find("error[max-depth]: nesting deeper than 128 levels (max_depth)"), std::string::npos) << err;
  }
  LoadOptions shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(OnlyError(Parse("kind: X\na:\n  b:\n    c: 1\n", shallow)),
            "m.yaml:4:5: error[max-depth]: nesting deeper than 2 levels (max_depth)");
  EXPECT_FALSE(Parse("kind: X\na:\n  b: 1\n", shallow).diags.HasErrors());
}

TEST(YamlLoaderTest, NonUtf8IsReportedAtItsByte) {
  Parsed p = Parse("apiVersion: v1\nkind: ConfigMap\ndata:\n  k: \"caf\xe9\"\n");
  EXPECT_TRUE(p.manifests.empty());
  EXPECT_EQ(OnlyError(p),
            "m.yaml:4:10: error[not-utf8]: file is not valid UTF-8: byte 0xe9 here; manifests must be UTF-8 text");
  // Valid multi-byte text, and overlong / surrogate encodings.
  EXPECT_FALSE(Parse("kind: X\nname: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n").diags.HasErrors());
  EXPECT_NE(OnlyError(Parse("kind: X\na: \xc0\xaf\n")).find("m.yaml:2:4:"), std::string::npos);
  EXPECT_NE(OnlyError(Parse("kind: X\na: \xed\xa0\x80\n")).find("m.yaml:2:4:"), std::string::npos);
  EXPECT_NE(OnlyError(Parse("kind: X\na: \xf4\x90\x80\x80\n")).find("m.yaml:2:4:"), std::string::npos);
  EXPECT_NE(OnlyError(Parse("kind: X\na: b\xe2\x82")).find("m.yaml:2:5:"), std::string::npos);
}

TEST(YamlLoaderTest, SizeLimit) {
  LoadOptions options;
  options.max_file_bytes = 16;
  Parsed p = Parse("kind: ConfigMap\ndata: {}\n", options);
  EXPECT_TRUE(p.manifests.empty());
  EXPECT_EQ(OnlyError(p), "m.yaml: error[file-too-large]: file is 25 bytes, over the limit of 16 bytes");
  options.max_file_bytes = 25;
  EXPECT_EQ(Parse("kind: ConfigMap\ndata: {}\n", options).manifests.size(), 1u);
}

TEST(YamlLoaderTest, DuplicateKeysAreErrors) {
  EXPECT_EQ(OnlyError(Parse("kind: X\nmetadata:\n  name: a\n  labels: {}\n  name: b\n")),
            "m.yaml:5:3: error[duplicate-key]: duplicate key 'name' (first at line 3)");
  EXPECT_EQ(OnlyError(Parse("{kind: X, a: 1, a: 2}")),
            "m.yaml:1:17: error[duplicate-key]: duplicate key 'a' (first at line 1)");
  // Large maps switch to an index; the check must still hold.
  std::string big = "kind: X\n";
  for (int i = 0; i < 100; ++i) big += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  EXPECT_FALSE(Parse(big).diags.HasErrors());
  EXPECT_EQ(OnlyError(Parse(big + "k42: again\n")),
            "m.yaml:102:1: error[duplicate-key]: duplicate key 'k42' (first at line 44)");
}

struct ScalarCase {
  const char* text;
  Value expected;
};

class ScalarResolutionTest : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(ScalarResolutionTest, ResolvesLikeKubernetes) {
  const ScalarCase& c = GetParam();
  Parsed p = Parse(std::string("kind: X\nv: ") + c.text + "\n");
  ASSERT_FALSE(p.diags.HasErrors()) << OnlyError(p);
  ASSERT_EQ(p.manifests.size(), 1u);
  const Value* v = p.manifests[0].doc.Find("v");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind(), c.expected.kind()) << c.text << " gave " << v->ToJson();
  if (c.expected.is_float() && std::isnan(c.expected.as_float())) {
    EXPECT_TRUE(v->is_float() && std::isnan(v->as_float())) << c.text;
  } else {
    EXPECT_EQ(*v, c.expected) << c.text << " gave " << v->ToJson();
  }
}

const double kInf = INFINITY;

INSTANTIATE_TEST_SUITE_P(
    Table, ScalarResolutionTest,
    ::testing::Values(
        // bools: every spelling go-yaml v2 accepts, and some it does not
        ScalarCase{"true", Value::Bool(true)}, ScalarCase{"True", Value::Bool(true)},
        ScalarCase{"TRUE", Value::Bool(true)}, ScalarCase{"yes", Value::Bool(true)},
        ScalarCase{"Yes", Value::Bool(true)}, ScalarCase{"YES", Value::Bool(true)},
        ScalarCase{"on", Value::Bool(true)}, ScalarCase{"On", Value::Bool(true)}, ScalarCase{"ON", Value::Bool(true)},
        ScalarCase{"y", Value::Bool(true)}, ScalarCase{"Y", Value::Bool(true)},
        ScalarCase{"false", Value::Bool(false)}, ScalarCase{"False", Value::Bool(false)},
        ScalarCase{"FALSE", Value::Bool(false)}, ScalarCase{"no", Value::Bool(false)},
        ScalarCase{"No", Value::Bool(false)}, ScalarCase{"NO", Value::Bool(false)},
        ScalarCase{"off", Value::Bool(false)}, ScalarCase{"Off", Value::Bool(false)},
        ScalarCase{"OFF", Value::Bool(false)}, ScalarCase{"n", Value::Bool(false)},
        ScalarCase{"N", Value::Bool(false)}, ScalarCase{"tRUE", Value::String("tRUE")},
        ScalarCase{"yEs", Value::String("yEs")}, ScalarCase{"'true'", Value::String("true")},
        ScalarCase{"\"yes\"", Value::String("yes")},
        // nulls
        ScalarCase{"", Value::Null()}, ScalarCase{"~", Value::Null()}, ScalarCase{"null", Value::Null()},
        ScalarCase{"Null", Value::Null()}, ScalarCase{"NULL", Value::Null()}, ScalarCase{"nULL", Value::String("nULL")},
        ScalarCase{"'null'", Value::String("null")}, ScalarCase{"\"\"", Value::String("")},
        // ints
        ScalarCase{"0", Value::Int(0)}, ScalarCase{"42", Value::Int(42)}, ScalarCase{"-17", Value::Int(-17)},
        ScalarCase{"+5", Value::Int(5)}, ScalarCase{"1_000", Value::Int(1000)}, ScalarCase{"0x1F", Value::Int(31)},
        ScalarCase{"-0x10", Value::Int(-16)}, ScalarCase{"0o17", Value::Int(15)}, ScalarCase{"017", Value::Int(15)},
        ScalarCase{"0b101", Value::Int(5)}, ScalarCase{"9223372036854775807", Value::Int(INT64_MAX)},
        ScalarCase{"-9223372036854775808", Value::Int(INT64_MIN)},
        ScalarCase{"18446744073709551615", Value::Float(18446744073709551615.0)},
        ScalarCase{"\"42\"", Value::String("42")}, ScalarCase{"'0x1F'", Value::String("0x1F")},
        ScalarCase{"08", Value::Float(8)},  // not octal: go-yaml falls through to a float
        // floats
        ScalarCase{"1.5", Value::Float(1.5)}, ScalarCase{"-2.5e3", Value::Float(-2500)},
        ScalarCase{"1e3", Value::Float(1000)}, ScalarCase{".5", Value::Float(0.5)}, ScalarCase{"3.", Value::Float(3)},
        ScalarCase{".inf", Value::Float(kInf)}, ScalarCase{".Inf", Value::Float(kInf)},
        ScalarCase{"+.INF", Value::Float(kInf)}, ScalarCase{"-.inf", Value::Float(-kInf)},
        ScalarCase{".nan", Value::Float(NAN)}, ScalarCase{".NaN", Value::Float(NAN)},
        ScalarCase{"1e400", Value::String("1e400")}, ScalarCase{"inf", Value::String("inf")},
        // strings that look like something else
        ScalarCase{"0x", Value::String("0x")}, ScalarCase{"1.2.3", Value::String("1.2.3")},
        ScalarCase{"2001-12-14", Value::String("2001-12-14")}, ScalarCase{"-x", Value::String("-x")},
        ScalarCase{"12:30", Value::String("12:30")}, ScalarCase{"v1", Value::String("v1")},
        ScalarCase{"100m", Value::String("100m")}, ScalarCase{"|\n  block\n", Value::String("block\n")},
        // explicit tags
        ScalarCase{"!!str 5", Value::String("5")}, ScalarCase{"!!str true", Value::String("true")},
        ScalarCase{"!!int \"12\"", Value::Int(12)}, ScalarCase{"!!float 3", Value::Float(3)},
        ScalarCase{"!!bool 'yes'", Value::Bool(true)}, ScalarCase{"!!null ''", Value::Null()},
        ScalarCase{"!custom 7", Value::String("7")}));

TEST(YamlLoaderTest, MismatchedTagIsAnError) {
  EXPECT_EQ(OnlyError(Parse("kind: X\nreplicas: !!int three\n")),
            "m.yaml:2:11: error[yaml-tag]: cannot read !!str 'three' as !!int");
}

TEST(YamlLoaderTest, ListKindIsFlattened) {
  Parsed p = Parse(
      "apiVersion: v1\n"
      "kind: List\n"
      "items:\n"
      "- apiVersion: v1\n"
      "  kind: ConfigMap\n"
      "  metadata: {name: a}\n"
      "- apiVersion: v1\n"
      "  kind: List\n"
      "  items:\n"
      "  - {apiVersion: v1, kind: Secret, metadata: {name: b}}\n"
      "- just a string\n"
      "---\n"
      "apiVersion: v1\n"
      "kind: List\n"
      "items: []\n");
  ASSERT_EQ(p.manifests.size(), 2u);
  EXPECT_EQ(p.manifests[0].doc.FindPath("metadata.name")->as_string(), "a");
  EXPECT_EQ(p.manifests[0].pos.ToString(), "m.yaml:4:3");
  EXPECT_EQ(p.manifests[1].doc.FindPath("kind")->as_string(), "Secret");
  EXPECT_EQ(p.manifests[1].pos.ToString(), "m.yaml:10:5");
  EXPECT_EQ(OnlyError(p),
            "m.yaml:11:3: error[not-a-map]: a List item is a string, expected a map (a manifest with apiVersion, "
            "kind, metadata)");
}

TEST(YamlLoaderTest, DocumentsThatAreNotMaps) {
  Parsed p = Parse("- apiVersion: v1\n  kind: ConfigMap\n---\njust text\n---\nkind: Ok\n");
  ASSERT_EQ(p.manifests.size(), 1u);
  ASSERT_EQ(p.diags.all().size(), 2u);
  EXPECT_EQ(p.diags.all()[0].ToString(),
            "m.yaml:1:1: error[not-a-map]: document is a list, expected a map (a manifest with apiVersion, kind, "
            "metadata)");
  EXPECT_EQ(p.diags.all()[1].ToString(),
            "m.yaml:4:1: error[not-a-map]: document is a string, expected a map (a manifest with apiVersion, kind, "
            "metadata)");
}

TEST(YamlLoaderTest, EmptyInputsGiveNothing) {
  for (const char* text : {"", "\n", "# only comments\n", "---\n", "---\n---\n...\n", "~\n"}) {
    Parsed p = Parse(text);
    EXPECT_TRUE(p.manifests.empty()) << text;
    EXPECT_TRUE(p.diags.all().empty()) << text;
  }
}

TEST(YamlLoaderTest, MalformedYamlKeepsYamlCppMessageAndPosition) {
  EXPECT_EQ(OnlyError(Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, labels: {a: b}\ndata:\n  k: v\n")),
            "m.yaml:4:1: error[yaml-syntax]: end of map flow not found");
  EXPECT_EQ(OnlyError(Parse("kind: X\nmetadata:\n  name: cfg\n data:\n  k: v\n")),
            "m.yaml:4:2: error[yaml-syntax]: end of map not found");
  // Documents before the broken one are kept.
  Parsed p = Parse("kind: A\n---\nkind: [B\n");
  EXPECT_EQ(p.manifests.size(), 1u);
  EXPECT_NE(OnlyError(p).find("error[yaml-syntax]"), std::string::npos);
}

// Found by the fuzzer: yaml-cpp 0.7 returns the same empty document forever on these.
TEST(YamlLoaderTest, InputsThatStallYamlCppEndInAnError) {
  EXPECT_EQ(OnlyError(Parse(",,0,,a: {b: 1}\n")), "m.yaml:1:1: error[yaml-syntax]: unexpected ','; expected a document");
  EXPECT_EQ(OnlyError(Parse("kind: A\n---\n,\n")), "m.yaml:3:1: error[yaml-syntax]: unexpected ','; expected a document");
}

TEST(YamlLoaderTest, KeysMustBeScalars) {
  EXPECT_EQ(OnlyError(Parse("kind: X\n? [a, b]\n: c\n")),
            "m.yaml:2:3: error[yaml-key]: map keys must be scalars, not a list");
}

TEST(YamlLoaderTest, BoolLikeKeysStayTextWithAWarning) {
  Parsed p = Parse("kind: ConfigMap\ndata:\n  on: a\n  'yes': b\n");
  ASSERT_EQ(p.manifests.size(), 1u);
  EXPECT_EQ(p.manifests[0].doc.FindPath("data.on")->as_string(), "a");
  EXPECT_EQ(p.manifests[0].doc.FindPath("data.yes")->as_string(), "b");
  ASSERT_EQ(p.diags.all().size(), 1u);
  EXPECT_FALSE(p.diags.HasErrors());
  EXPECT_EQ(p.diags.all()[0].ToString(),
            "m.yaml:3:3: warning[yaml-bool-key]: key 'on' is read as 'true' by kubectl; quote it to keep it a string");
}

TEST(YamlLoaderTest, ByteOrderMarkAndCrlfLineEnds) {
  Parsed p = Parse("\xef\xbb\xbfkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n");
  ASSERT_FALSE(p.diags.HasErrors()) << OnlyError(p);
  ASSERT_EQ(p.manifests.size(), 1u);
  EXPECT_EQ(p.manifests[0].doc.FindPath("metadata.name")->as_string(), "crlf");
  EXPECT_EQ(Where(p.manifests[0].doc.FindPath("metadata.name")), "m.yaml:3:9");
}

TEST(YamlLoaderTest, JsonIsYaml) {
  Parsed p = Parse(
      "{\n"
      "\t\"apiVersion\": \"v1\",\n"
      "\t\"kind\": \"ConfigMap\",\n"
      "\t\"data\": {\"a\": \"caf\\u00e9\", \"b\": \"x\\/y\", \"n\": 3, \"f\": 1.5, \"t\": true, \"z\": null},\n"
      "\t\"list\": [1, \"2\"]\n"
      "}\n");
  ASSERT_FALSE(p.diags.HasErrors()) << OnlyError(p);
  ASSERT_EQ(p.manifests.size(), 1u);
  const Value& d = p.manifests[0].doc;
  EXPECT_EQ(d.FindPath("data.a")->as_string(), "caf\xc3\xa9");
  EXPECT_EQ(d.FindPath("data.b")->as_string(), "x/y");
  EXPECT_EQ(d.FindPath("data.n")->as_int(), 3);
  EXPECT_TRUE(d.FindPath("data.z")->is_null());
  EXPECT_EQ(Where(d.Find("kind")), "m.yaml:3:10");
}

}  // namespace
}  // namespace gorch::compiler

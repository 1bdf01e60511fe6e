// LoadJsonnet: output shapes, ext vars, imports inside the source and jpaths,
// error locations, and the stack, time and crash limits of the child evaluator.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gorch/compiler/loader.h"

namespace gorch::compiler {
namespace {

using lang::Value;

struct Loaded {
  std::vector<Manifest> manifests;
  lang::Diagnostics diags;
};

Loaded Load(std::map<std::string, std::string> files, const std::string& path, LoadOptions options = {}) {
  auto source = MakeMemorySource(std::move(files), "repo/");
  Loaded l;
  l.manifests = LoadJsonnet(*source, path, options, l.diags);
  return l;
}

std::string AllDiags(const lang::Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

std::string Name(const Manifest& m) {
  const Value* n = m.doc.FindPath("metadata.name");
  return n && n->is_string() ? n->as_string() : "?";
}

TEST(JsonnetLoaderTest, SingleManifest) {
  Loaded l = Load({{"main.jsonnet", "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'a'}, data: {n: '' + 1}}"}},
                  "main.jsonnet");
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  ASSERT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(l.manifests[0].pos.ToString(), "repo/main.jsonnet");
  EXPECT_EQ(l.manifests[0].doc.FindPath("data.n")->as_string(), "1");
  EXPECT_EQ(l.manifests[0].doc.FindPath("metadata.name")->pos().ToString(), "repo/main.jsonnet");
}

TEST(JsonnetLoaderTest, ArraysAndObjectsOfManifestsAreWalked) {
  Loaded l = Load({{"main.jsonnet", R"(
local cm(name) = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: name}, data: {n: 3, f: 1.5, t: true}};
{
  zeta: cm('z'),
  alpha: [cm('a1'), [cm('a2')]],
  nested: {inner: {deep: cm('d')}, skipped: null},
  list: {apiVersion: 'v1', kind: 'List', items: [cm('l1'), cm('l2')]},
}
)"}},
                  "main.jsonnet");
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  std::vector<std::string> names;
  for (const auto& m : l.manifests) names.push_back(Name(m));
  // Jsonnet emits fields sorted by name; arrays in order; a List flattened.
  EXPECT_EQ(names, (std::vector<std::string>{"a1", "a2", "l1", "l2", "d", "z"}));
  const Value& d = l.manifests[0].doc;
  EXPECT_EQ(d.FindPath("data.n")->as_int(), 3);
  EXPECT_EQ(d.FindPath("data.f")->as_float(), 1.5);
  EXPECT_TRUE(d.FindPath("data.t")->as_bool());
}

TEST(JsonnetLoaderTest, OutputThatIsNotManifests) {
  Loaded l = Load({{"main.jsonnet", "{good: {kind: 'ConfigMap'}, bad: 'text', nums: [1]}"}}, "main.jsonnet");
  EXPECT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(AllDiags(l.diags),
            "repo/main.jsonnet: error[jsonnet-output]: the Jsonnet output at .bad is a string; expected a manifest, "
            "an array of manifests, or an object of them\n"
            "repo/main.jsonnet: error[jsonnet-output]: the Jsonnet output at .nums[0] is a integer; expected a "
            "manifest, an array of manifests, or an object of them\n");
}

TEST(JsonnetLoaderTest, ExtStrs) {
  LoadOptions options;
  options.ext_strs = {{"env", "prod"}, {"replicas", "3"}};
  Loaded l = Load({{"main.jsonnet",
                    "{kind: 'ConfigMap', metadata: {name: 'cfg-' + std.extVar('env')}, "
                    "data: {r: std.parseInt(std.extVar('replicas')) * 2}}"}},
                  "main.jsonnet", options);
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  ASSERT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(Name(l.manifests[0]), "cfg-prod");
  EXPECT_EQ(l.manifests[0].doc.FindPath("data.r")->as_int(), 6);

  Loaded missing = Load({{"main.jsonnet", "{kind: 'X', v: std.extVar('nope')}"}}, "main.jsonnet");
  EXPECT_EQ(AllDiags(missing.diags),
            "repo/main.jsonnet:1:16: error[jsonnet-error]: undefined external variable: nope\n");
}

TEST(JsonnetLoaderTest, ImportsResolveInsideTheSourceRelativeToTheImporter) {
  std::map<std::string, std::string> files = {
      {"envs/prod/main.jsonnet",
       "local app = import '../../lib/app.libsonnet';\n"
       "local banner = importstr 'banner.txt';\n"
       "app.cm('web') + {data+: {banner: banner}}\n"},
      {"envs/prod/banner.txt", "hello"},
      {"lib/app.libsonnet", "local h = import 'helpers.libsonnet';\n{cm(n):: {kind: 'ConfigMap', metadata: {name: h.prefix + n}}}\n"},
      {"lib/helpers.libsonnet", "{prefix: 'prod-'}"},
  };
  Loaded l = Load(files, "envs/prod/main.jsonnet");
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  ASSERT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(Name(l.manifests[0]), "prod-web");
  EXPECT_EQ(l.manifests[0].doc.FindPath("data.banner")->as_string(), "hello");
}

TEST(JsonnetLoaderTest, JpathsAreSearchedAfterTheImporterDirectory) {
  std::map<std::string, std::string> files = {
      {"envs/main.jsonnet", "local k = import 'k.libsonnet'; local o = import 'own.libsonnet'; k.cm(o.name)"},
      {"envs/own.libsonnet", "{name: 'mine'}"},
      {"vendor/own.libsonnet", "{name: 'vendored'}"},  // shadowed by the importer's own directory
      {"vendor/k.libsonnet", "{cm(n):: {kind: 'ConfigMap', metadata: {name: n}}}"},
  };
  LoadOptions options;
  options.jpaths = {"vendor"};
  Loaded l = Load(files, "envs/main.jsonnet", options);
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  ASSERT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(Name(l.manifests[0]), "mine");

  Loaded without = Load(files, "envs/main.jsonnet");
  EXPECT_EQ(AllDiags(without.diags),
            "repo/envs/main.jsonnet:1:11: error[jsonnet-error]: couldn't open import \"k.libsonnet\": not found in "
            "the source (tried repo/envs/k.libsonnet)\n");
}

TEST(JsonnetLoaderTest, AbsoluteJpathReadsALocalDirectory) {
  auto dir = std::filesystem::temp_directory_path() / ("gorch-jpath-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "lib.libsonnet") << "(import 'sub/name.libsonnet') + {kind: 'ConfigMap'}";
  std::ofstream(dir / "sub" / "name.libsonnet") << "{metadata: {name: 'from-disk'}}";
  LoadOptions options;
  options.jpaths = {dir.string()};
  Loaded l = Load({{"main.jsonnet", "import 'lib.libsonnet'"}}, "main.jsonnet", options);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(l.diags.all().empty()) << AllDiags(l.diags);
  ASSERT_EQ(l.manifests.size(), 1u);
  EXPECT_EQ(Name(l.manifests[0]), "from-disk");
}

TEST(JsonnetLoaderTest, ImportsCannotLeaveTheSource) {
  Loaded up = Load({{"a/main.jsonnet", "import '../../etc/passwd'"}}, "a/main.jsonnet");
  EXPECT_EQ(AllDiags(up.diags),
            "repo/a/main.jsonnet:1:1: error[jsonnet-error]: couldn't open import \"../../etc/passwd\": import "
            "'../../etc/passwd' leaves the source\n");
  Loaded abs = Load({{"main.jsonnet", "importstr '/etc/hostname'"}}, "main.jsonnet");
  EXPECT_NE(AllDiags(abs.diags).find("absolute import paths are not allowed"), std::string::npos)
      << AllDiags(abs.diags);
}

TEST(JsonnetLoaderTest, RuntimeErrorKeepsItsLocation) {
  Loaded l = Load({{"main.jsonnet",
                    "local replicas(n) = if n < 0 then error 'replicas must be >= 0, got ' + n else n;\n"
                    "{\n"
                    "  kind: 'ConfigMap',\n"
                    "  data: { n: std.toString(replicas(-1)) },\n"
                    "}\n"}},
                  "main.jsonnet");
  EXPECT_TRUE(l.manifests.empty());
  EXPECT_EQ(AllDiags(l.diags), "repo/main.jsonnet:1:35: error[jsonnet-error]: replicas must be >= 0, got -1\n");
}

TEST(JsonnetLoaderTest, ErrorInALibraryPointsThereAndNamesTheEvaluatedFile) {
  Loaded l = Load({{"main.jsonnet", "(import 'lib/l.libsonnet').f(1)"},
                   {"lib/l.libsonnet", "{\n  f(x):: std.format('%d', 'not a number') + x,\n}\n"}},
                  "main.jsonnet");
  // The innermost frames are in std.jsonnet; the first user frame is the library.
  EXPECT_EQ(AllDiags(l.diags),
            "repo/lib/l.libsonnet:2:10: error[jsonnet-error]: Format required number at 0, got string (evaluating "
            "repo/main.jsonnet)\n");
}

TEST(JsonnetLoaderTest, StaticErrorKeepsItsLocation) {
  Loaded l = Load({{"m.jsonnet", "{\n  a: 1,\n  b: undefined_thing,\n}\n"}}, "m.jsonnet");
  EXPECT_EQ(AllDiags(l.diags), "repo/m.jsonnet:3:6: error[jsonnet-error]: Unknown variable: undefined_thing\n");
  Loaded syntax = Load({{"m.jsonnet", "{\n a: 1 +\n  }"}}, "m.jsonnet");
  EXPECT_EQ(AllDiags(syntax.diags),
            "repo/m.jsonnet:3:3: error[jsonnet-error]: unexpected: \"}\" while parsing terminal\n");
}

TEST(JsonnetLoaderTest, InfiniteRecursionHitsMaxStack) {
  LoadOptions options;
  options.jsonnet_max_stack = 50;
  Loaded l = Load({{"m.jsonnet", "local f(n) = f(n + 1) + 1;\nf(0)\n"}}, "m.jsonnet", options);
  EXPECT_EQ(AllDiags(l.diags),
            "repo/m.jsonnet:1:14: error[jsonnet-error]: max stack frames exceeded. (jsonnet_max_stack is 50; "
            "infinite recursion?)\n");
}

TEST(JsonnetLoaderTest, SlowEvaluationIsStoppedAtTheTimeLimit) {
  LoadOptions options;
  options.jsonnet_timeout_ms = 200;
  // A tail-recursive loop: endless CPU, constant memory.
  Loaded l = Load({{"m.jsonnet", "local loop(n) = if n == 0 then {} else loop(n - 1) tailstrict;\nloop(1e15)\n"}},
                  "m.jsonnet", options);
  EXPECT_TRUE(l.manifests.empty());
  EXPECT_EQ(AllDiags(l.diags),
            "repo/m.jsonnet: error[jsonnet-timeout]: evaluation took longer than 200 ms (jsonnet_timeout_ms) and was "
            "stopped\n");
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // no heap limit under sanitizers
TEST(JsonnetLoaderTest, MemoryLimitStopsARunawayEvaluation) {
  LoadOptions options;
  options.jsonnet_max_memory_mb = 256;
  Loaded l = Load({{"m.jsonnet", "{kind: 'X', n: std.length(std.makeArray(200000000, function(i) i))}"}}, "m.jsonnet",
                  options);
  EXPECT_TRUE(l.manifests.empty());
  EXPECT_EQ(AllDiags(l.diags),
            "repo/m.jsonnet: error[jsonnet-error]: the Jsonnet evaluator aborted; it most likely ran out of memory "
            "(jsonnet_max_memory_mb is 256)\n");
}
#endif

TEST(JsonnetLoaderTest, CrashOfTheEvaluatorIsContained) {
  // libjsonnet's parser recurses per bracket: this overflows the child's stack.
  std::string deep(2'000'000, '[');
  Loaded l = Load({{"m.jsonnet", deep}}, "m.jsonnet");
  EXPECT_TRUE(l.manifests.empty());
  std::string all = AllDiags(l.diags);
  EXPECT_NE(all.find("repo/m.jsonnet: error[jsonnet-error]: the Jsonnet evaluator "), std::string::npos) << all;
#if !defined(__SANITIZE_ADDRESS__)  // ASan catches the SIGSEGV and exits instead
  EXPECT_NE(all.find("crashed (Segmentation fault); is the file nested too deeply?"), std::string::npos) << all;
#endif
}

TEST(JsonnetLoaderTest, MissingFileAndBadBytes) {
  Loaded none = Load({}, "nope.jsonnet");
  EXPECT_EQ(AllDiags(none.diags), "repo/nope.jsonnet: error[file-read]: no such file\n");
  Loaded bad = Load({{"m.jsonnet", "{\n kind: 'caf\xe9'}"}}, "m.jsonnet");
  EXPECT_EQ(AllDiags(bad.diags), "repo/m.jsonnet:2:12: error[not-utf8]: file is not valid UTF-8\n");
}

}  // namespace
}  // namespace gorch::compiler

// LoadManifests: which files are loaded, the deterministic order of manifests
// and diagnostics whatever the thread count, and per-file failures.
#include <gtest/gtest.h>

#include "gorch/compiler/loader.h"

namespace gorch::compiler {
namespace {

std::string Describe(const std::vector<Manifest>& manifests, const lang::Diagnostics& diags) {
  std::string out;
  for (const auto& m : manifests) {
    const lang::Value* name = m.doc.FindPath("metadata.name");
    out += m.pos.ToString() + " " + (name && name->is_string() ? name->as_string() : "?") + "\n";
  }
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

std::string Cm(const std::string& name) { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"; }

std::map<std::string, std::string> Repo() {
  std::map<std::string, std::string> files = {
      {"b.yaml", Cm("b1") + "---\n" + Cm("b2")},
      {"a/x.yml", Cm("ax")},
      {"a/broken.yaml", Cm("before-error") + "---\nkind: [\n"},
      {"c.json", R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cj"}})"},
      {"env/main.jsonnet", "(import 'lib.libsonnet').cm('jn')"},
      {"env/lib.libsonnet", "{cm(n):: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: n}}}"},
      {"env/bad.jsonnet", "error 'nope'"},
      {"README.md", "# not a manifest"},
      {"notes.txt", "kind: ignored"},
      {".hidden.yaml", Cm("hidden-file")},
      {".github/workflows/ci.yaml", "on: push\n"},
      {"z.yaml", "- not a map\n"},
  };
  for (int i = 0; i < 40; ++i) files["many/f" + std::to_string(100 + i) + ".yaml"] = Cm("m" + std::to_string(i));
  return files;
}

TEST(LoadManifestsTest, LoadsManifestFilesInPathOrder) {
  auto source = MakeMemorySource(Repo(), "repo/");
  LoadOptions options;
  options.threads = 1;
  lang::Diagnostics diags;
  std::vector<Manifest> manifests = LoadManifests(*source, options, diags);
  std::string text = Describe(manifests, diags);
  std::string expected =
      "repo/a/broken.yaml:1:1 before-error\n"
      "repo/a/x.yml:1:1 ax\n"
      "repo/b.yaml:1:1 b1\n"
      "repo/b.yaml:6:1 b2\n"
      "repo/c.json:1:1 cj\n"
      "repo/env/main.jsonnet jn\n";
  for (int i = 0; i < 40; ++i) expected += "repo/many/f" + std::to_string(100 + i) + ".yaml:1:1 m" + std::to_string(i) + "\n";
  expected +=
      "repo/a/broken.yaml:7:1: error[yaml-syntax]: end of sequence flow not found\n"
      "repo/env/bad.jsonnet:1:1: error[jsonnet-error]: nope\n"
      "repo/z.yaml:1:1: error[not-a-map]: document is a list, expected a map (a manifest with apiVersion, kind, "
      "metadata)\n";
  EXPECT_EQ(text, expected);
}

TEST(LoadManifestsTest, ParallelLoadGivesTheSameResult) {
  auto source = MakeMemorySource(Repo(), "repo/");
  LoadOptions one;
  one.threads = 1;
  lang::Diagnostics d1;
  std::string serial = Describe(LoadManifests(*source, one, d1), d1);
  for (unsigned threads : {0u, 3u, 8u}) {
    LoadOptions many;
    many.threads = threads;
    lang::Diagnostics dn;
    EXPECT_EQ(Describe(LoadManifests(*source, many, dn), dn), serial) << threads << " threads";
  }
}

TEST(LoadManifestsTest, OversizedFileIsReportedAndOthersStillLoad) {
  auto source = MakeMemorySource({{"big.yaml", Cm("big") + std::string(100, '#')}, {"small.yaml", Cm("small")}}, "r/");
  LoadOptions options;
  options.max_file_bytes = 80;
  lang::Diagnostics diags;
  auto manifests = LoadManifests(*source, options, diags);
  EXPECT_EQ(Describe(manifests, diags),
            "r/small.yaml:1:1 small\n"
            "r/big.yaml: error[file-too-large]: file is 153 bytes, over the limit of 80 bytes\n");
}

TEST(LoadManifestsTest, RealDirectoryMixingYamlJsonAndJsonnet) {
  const std::string root = std::string(GORCH_TESTDATA) + "/loaders/mixed";
  auto source = OpenDirectorySource(root);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  lang::Diagnostics diags;
  std::vector<Manifest> manifests = LoadManifests(**source, LoadOptions{}, diags);
  std::string text = Describe(manifests, diags);
  for (size_t at; (at = text.find(root + "/")) != std::string::npos;) text.erase(at, root.size() + 1);
  EXPECT_EQ(text,
            "apps/list.yml:4:3 from-list-1\n"
            "apps/list.yml:5:3 from-list-2\n"
            "apps/web/config.json:1:1 web-config\n"
            "apps/web/deploy.yaml:2:1 web\n"
            "apps/web/deploy.yaml:12:1 web\n"
            "envs/prod.jsonnet prod-features\n"
            "envs/prod.jsonnet prod-settings\n");
  ASSERT_EQ(manifests.size(), 7u);
  const lang::Value& deployment = manifests[3].doc;
  EXPECT_EQ(*deployment.FindPath("spec.selector.matchLabels"), *deployment.FindPath("metadata.labels"));
  EXPECT_EQ(manifests[5].doc.FindPath("data.beta")->as_string(), "false");
}

TEST(LoadManifestsTest, EmptySourceGivesNothing) {
  auto source = MakeMemorySource({});
  lang::Diagnostics diags;
  EXPECT_TRUE(LoadManifests(*source, LoadOptions{}, diags).empty());
  EXPECT_TRUE(diags.all().empty());
}

}  // namespace
}  // namespace gorch::compiler

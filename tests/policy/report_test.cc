// The renderers: text lines and remediation, JSON, the SARIF 2.1.0 fields that
// code-scanning consumers require, and JUnit XML.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gorch/policy/report.h"

namespace gorch::policy {
namespace {

PolicySet TwoChecks() {
  lang::Diagnostics diags;
  PolicySet set;
  set.AddFile("p.gorch", R"(policy "latest-tag" {
  severity: warning
  description: "floating tags"
  remediation: "pin a tag"
  url: "https://example.com/latest-tag"
  deny true : "m"
}
policy "quiet" {
  severity: error
  description: "never fires"
  deny false : "m"
})",
              diags);
  EXPECT_FALSE(diags.HasErrors());
  return set;
}

std::vector<Finding> SomeFindings() {
  Finding a;
  a.check = "latest-tag";
  a.severity = lang::Severity::kWarning;
  a.pos = {lang::InternFileName("deploy/web app.yaml"), 12, 16};
  a.message = "the container \"web\" uses nginx:latest & <more>";
  a.resource = {"Deployment", "default", "web"};
  Finding b = a;
  b.check = std::string(kInvalidWaiverCheck);
  b.severity = lang::Severity::kError;
  b.pos.line = 5;
  b.message = "waiver of \"latest-tag\" has no reason";
  return {b, a};
}

TEST(Report, TextIsFileLineColSeverityCheckMessageThenRemediation) {
  PolicySet set = TwoChecks();
  auto findings = SomeFindings();
  Report r{&findings, &set, "deploy", 3};
  EXPECT_EQ(RenderText(r, false),
            "deploy/web app.yaml:5:16: error[invalid-waiver]: waiver of \"latest-tag\" has no reason\n"
            "  remediation: Write why the check does not apply as the annotation's value, and name an existing "
            "check.\n"
            "deploy/web app.yaml:12:16: warning[latest-tag]: the container \"web\" uses nginx:latest & <more>\n"
            "  remediation: pin a tag\n");
  EXPECT_EQ(Summary(r), "2 findings (1 error, 1 warning, 0 info) in 3 resources, 2 checks");
}

TEST(Report, JsonCarriesEveryField) {
  PolicySet set = TwoChecks();
  auto findings = SomeFindings();
  auto j = nlohmann::json::parse(RenderJson(Report{&findings, &set, "deploy", 3}));
  ASSERT_EQ(j["findings"].size(), 2u);
  const auto& f = j["findings"][1];
  EXPECT_EQ(f["check"], "latest-tag");
  EXPECT_EQ(f["severity"], "warning");
  EXPECT_EQ(f["file"], "deploy/web app.yaml");
  EXPECT_EQ(f["line"], 12);
  EXPECT_EQ(f["column"], 16);
  EXPECT_EQ(f["remediation"], "pin a tag");
  EXPECT_EQ(f["resource"]["kind"], "Deployment");
  EXPECT_EQ(j["checks"].size(), 2u);
}

TEST(Report, SarifHasWhatCodeScanningRequires) {
  PolicySet set = TwoChecks();
  auto findings = SomeFindings();
  auto j = nlohmann::json::parse(RenderSarif(Report{&findings, &set, "deploy", 3}));
  EXPECT_EQ(j["version"], "2.1.0");
  EXPECT_EQ(j["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  ASSERT_EQ(j["runs"].size(), 1u);
  const auto& run = j["runs"][0];
  const auto& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "gorch");
  // Rules: every enabled check and the waiver check, with ids, descriptions and help.
  ASSERT_EQ(driver["rules"].size(), 3u);
  const auto& rule = driver["rules"][0];
  EXPECT_EQ(rule["id"], "latest-tag");
  EXPECT_EQ(rule["shortDescription"]["text"], "floating tags");
  EXPECT_EQ(rule["help"]["text"], "pin a tag");
  EXPECT_EQ(rule["helpUri"], "https://example.com/latest-tag");
  EXPECT_EQ(rule["defaultConfiguration"]["level"], "warning");
  EXPECT_EQ(driver["rules"][1]["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(driver["rules"][2]["id"], "invalid-waiver");
  // Results: rule id and index, level, message text, a physical location with a
  // relative URI (escaped) and a region.
  ASSERT_EQ(run["results"].size(), 2u);
  const auto& res = run["results"][1];
  EXPECT_EQ(res["ruleId"], "latest-tag");
  EXPECT_EQ(res["ruleIndex"], 0);
  EXPECT_EQ(res["level"], "warning");
  EXPECT_EQ(res["message"]["text"], "the container \"web\" uses nginx:latest & <more>");
  const auto& loc = res["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "deploy/web%20app.yaml");
  EXPECT_EQ(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  EXPECT_EQ(loc["region"]["startLine"], 12);
  EXPECT_EQ(loc["region"]["startColumn"], 16);
  EXPECT_EQ(run["results"][0]["ruleIndex"], 2);
  EXPECT_EQ(run["results"][0]["level"], "error");
}

TEST(Report, JUnitHasOneCasePerCheckAndFailsTheOnesWithFindings) {
  PolicySet set = TwoChecks();
  auto findings = SomeFindings();
  std::string xml = RenderJUnit(Report{&findings, &set, "deploy", 3});
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gorch lint\" tests=\"3\" "
                      "failures=\"2\">",
                      0),
            0u)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"gorch.lint\" name=\"quiet\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure type=\"warning\" message=\"1 finding: the container &quot;web&quot; uses "
                     "nginx:latest &amp; &lt;more&gt;\">"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("& <"), std::string::npos);  // escaped everywhere
}

}  // namespace
}  // namespace gorch::policy

#include "gorch/policy/report.h"

#include <map>
#include <nlohmann/json.hpp>

namespace gorch::policy {

namespace {

using nlohmann::ordered_json;

struct RuleInfo {
  std::string id, description, remediation, url;
  lang::Severity severity;
};

const RuleInfo kWaiverRule = {std::string(kInvalidWaiverCheck),
                              "A waiver annotation (ignore-check.gorch.dev/<check>) without a reason, or naming no "
                              "check",
                              "Write why the check does not apply as the annotation's value, and name an existing "
                              "check.",
                              "", lang::Severity::kError};

// Every enabled check, then the waiver check; the index is SARIF's ruleIndex.
std::vector<RuleInfo> Rules(const Report& r) {
  std::vector<RuleInfo> rules;
  for (const Check& c : r.policies->checks()) {
    if (!c.enabled) continue;
    rules.push_back({c.policy.name, c.policy.description, c.policy.remediation, c.policy.url, c.severity});
  }
  rules.push_back(kWaiverRule);
  return rules;
}

std::string Remediation(const Report& r, const std::string& check) {
  if (check == kInvalidWaiverCheck) return kWaiverRule.remediation;
  const Check* c = r.policies->Find(check);
  return c ? c->policy.remediation : "";
}

std::string SarifLevel(lang::Severity s) {
  switch (s) {
    case lang::Severity::kError: return "error";
    case lang::Severity::kWarning: return "warning";
    case lang::Severity::kInfo: return "note";
  }
  return "warning";
}

// A relative path as a URI reference (RFC 3986): '/' kept, unsafe bytes escaped.
std::string PathToUri(const std::string& path) {
  std::string out = path.size() && path[0] == '/' ? "file://" : "";
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : path) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.rfind("./", 0) == 0) out.erase(0, 2);
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string FindingLine(const Finding& f) {
  return f.pos.ToString() + ": " + std::string(lang::SeverityName(f.severity)) + "[" + f.check + "]: " + f.message;
}

}  // namespace

std::string Summary(const Report& r) {
  size_t counts[3] = {0, 0, 0};
  for (const Finding& f : *r.findings) ++counts[static_cast<int>(f.severity)];
  size_t enabled = 0;
  for (const Check& c : r.policies->checks()) enabled += c.enabled;
  auto plural = [](size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  return plural(r.findings->size(), "finding") + " (" + plural(counts[0], "error") + ", " +
         plural(counts[1], "warning") + ", " + std::to_string(counts[2]) + " info) in " +
         plural(r.resources, "resource") + ", " + plural(enabled, "check");
}

std::string RenderText(const Report& r, bool colour) {
  std::string out;
  for (const Finding& f : *r.findings) {
    std::string line = FindingLine(f);
    if (colour) {
      std::string sev(lang::SeverityName(f.severity));
      const char* c = f.severity == lang::Severity::kError     ? "\033[1;31m"
                      : f.severity == lang::Severity::kWarning ? "\033[1;33m"
                                                               : "\033[1;36m";
      size_t at = line.find(": " + sev + "[");
      if (at != std::string::npos) line.replace(at + 2, sev.size(), c + sev + "\033[0m");
    }
    out += line + "\n";
    std::string fix = Remediation(r, f.check);
    if (!fix.empty()) out += "  remediation: " + fix + "\n";
  }
  return out;
}

std::string RenderJson(const Report& r) {
  ordered_json findings = ordered_json::array();
  for (const Finding& f : *r.findings) {
    findings.push_back({{"check", f.check},
                        {"severity", std::string(lang::SeverityName(f.severity))},
                        {"file", std::string(f.pos.file)},
                        {"line", f.pos.line},
                        {"column", f.pos.col},
                        {"message", f.message},
                        {"remediation", Remediation(r, f.check)},
                        {"resource",
                         {{"kind", f.resource.kind}, {"namespace", f.resource.namespace_}, {"name", f.resource.name}}}});
  }
  ordered_json checks = ordered_json::array();
  for (const Check& c : r.policies->checks()) {
    checks.push_back({{"name", c.policy.name},
                      {"severity", std::string(lang::SeverityName(c.severity))},
                      {"enabled", c.enabled},
                      {"builtin", c.builtin},
                      {"description", c.policy.description}});
  }
  ordered_json doc = {{"source", r.source}, {"resources", r.resources}, {"summary", Summary(r)},
                      {"findings", findings}, {"checks", checks}};
  return doc.dump(2) + "\n";
}

std::string RenderSarif(const Report& r) {
  std::vector<RuleInfo> rules = Rules(r);
  std::map<std::string, size_t> index;
  ordered_json jrules = ordered_json::array();
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleInfo& rule = rules[i];
    index[rule.id] = i;
    ordered_json j = {{"id", rule.id},
                      {"name", rule.id},
                      {"shortDescription", {{"text", rule.description}}},
                      {"fullDescription", {{"text", rule.description}}},
                      {"help", {{"text", rule.remediation.empty() ? rule.description : rule.remediation}}},
                      {"defaultConfiguration", {{"level", SarifLevel(rule.severity)}}}};
    if (!rule.url.empty()) j["helpUri"] = rule.url;
    jrules.push_back(std::move(j));
  }
  ordered_json results = ordered_json::array();
  for (const Finding& f : *r.findings) {
    ordered_json region = {{"startLine", std::max<uint32_t>(f.pos.line, 1)}};
    if (f.pos.col) region["startColumn"] = f.pos.col;
    ordered_json res = {
        {"ruleId", f.check},
        {"level", SarifLevel(f.severity)},
        {"message", {{"text", f.message}}},
        {"locations",
         {{{"physicalLocation",
            {{"artifactLocation", {{"uri", PathToUri(f.pos.file)}, {"uriBaseId", "%SRCROOT%"}}},
             {"region", region}}},
           {"logicalLocations",
            {{{"name", f.resource.name},
              {"fullyQualifiedName", f.resource.ToString()},
              {"kind", "resource"}}}}}}}};
    if (auto it = index.find(f.check); it != index.end()) res["ruleIndex"] = it->second;
    if (std::string(f.pos.file).rfind('/', 0) == 0)
      res["locations"][0]["physicalLocation"]["artifactLocation"].erase("uriBaseId");
    results.push_back(std::move(res));
  }
  ordered_json doc = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       {{{"tool",
          {{"driver",
            {{"name", "gorch"},
             {"informationUri", "https://gorch.dev/docs/policy"},
             {"version", "0.1.0"},
             {"rules", jrules}}}}},
         {"results", results}}}}};
  return doc.dump(2) + "\n";
}

std::string RenderJUnit(const Report& r) {
  std::map<std::string, std::vector<const Finding*>> by_check;
  for (const Finding& f : *r.findings) by_check[f.check].push_back(&f);
  std::vector<RuleInfo> rules = Rules(r);
  size_t failures = 0;
  for (const RuleInfo& rule : rules) failures += by_check.count(rule.id) ? 1 : 0;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"gorch lint\" tests=\"" + std::to_string(rules.size()) + "\" failures=\"" +
         std::to_string(failures) + "\">\n";
  out += "  <testsuite name=\"gorch lint " + XmlEscape(r.source) + "\" tests=\"" + std::to_string(rules.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"0\">\n";
  for (const RuleInfo& rule : rules) {
    out += "    <testcase classname=\"gorch.lint\" name=\"" + XmlEscape(rule.id) + "\"";
    auto it = by_check.find(rule.id);
    if (it == by_check.end()) {
      out += "/>\n";
      continue;
    }
    const auto& list = it->second;
    std::string body;
    for (const Finding* f : list) body += FindingLine(*f) + "\n";
    if (!rule.remediation.empty()) body += "remediation: " + rule.remediation + "\n";
    out += ">\n      <failure type=\"" + std::string(lang::SeverityName(list.front()->severity)) +
           "\" message=\"" + XmlEscape(std::to_string(list.size()) + (list.size() == 1 ? " finding: " : " findings: ") +
                                       list.front()->message) +
           "\">" + XmlEscape(body) + "</failure>\n    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace gorch::policy

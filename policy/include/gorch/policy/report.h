// Renderers of a lint's findings: text (one `file:line:col: severity[check]:
// message` line and the remediation under it), JSON, SARIF 2.1.0 (for code
// scanning), JUnit XML (for CI dashboards). Pure functions of their input.
#pragma once

#include <string>
#include <vector>

#include "gorch/policy/lint.h"
#include "gorch/policy/policy_set.h"

namespace gorch::policy {

struct Report {
  const std::vector<Finding>* findings = nullptr;
  const PolicySet* policies = nullptr;
  std::string source;     // how the source was named
  size_t resources = 0;   // resources linted
};

// colour: ANSI colours on the severity (only for a terminal).
std::string RenderText(const Report& report, bool colour);
std::string RenderJson(const Report& report);
std::string RenderSarif(const Report& report);
// One test case per enabled check; a check with findings fails, listing them.
std::string RenderJUnit(const Report& report);

// "3 findings (1 error, 2 warnings) in 12 resources, 30 checks".
std::string Summary(const Report& report);

}  // namespace gorch::policy

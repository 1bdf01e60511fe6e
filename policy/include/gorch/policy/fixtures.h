// `gorch lint --test DIR`: policies run against fixtures with expected findings
// (as `conftest verify` and `kyverno test` do), so teams test their own policies.
//
// DIR holds policy files (*.gorch, added to the built-in pack and --policy dirs)
// and fixtures (*.yaml, *.yml, *.json), anywhere below it. Each fixture is
// compiled alone and linted; comment lines in it say what to expect:
//   # checks: latest-tag, ssh-port     only these checks run (default: all enabled)
//   # expect: latest-tag 12:16         one finding of the check at line 12, col 16
//   # expect: ssh-port 20              ... at line 20, any column
// A fixture without `# expect:` lines expects no finding. Compile errors count
// as findings of their code (`# expect: duplicate-key 14`), so a fixture that
// does not compile fails unless it says so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gorch/lang/diagnostic.h"

namespace gorch::policy {

struct FixtureOptions {
  std::string dir;
  std::vector<std::string> policy_dirs;
  std::vector<std::string> schema_dirs;
  bool builtin = true;
};

struct FixtureResult {
  std::string file;
  bool passed = false;
  size_t expected = 0;               // expectations
  std::vector<std::string> problems;  // "missing ...", "unexpected ..."
};

struct FixtureRun {
  lang::Diagnostics diags;  // policy load errors, bad expectation lines
  std::vector<FixtureResult> results;
  bool ok() const;          // no diags error, at least one fixture, all passed
};

std::unique_ptr<FixtureRun> RunFixtures(const FixtureOptions& options);

}  // namespace gorch::policy

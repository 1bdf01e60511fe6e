// Output helpers of the verbs that read from `gorch server` (get, describe,
// events, nodes): kind names, tables, ages, YAML.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gorch/v1/gorch.pb.h"

namespace gorch::cli {

using OJson = nlohmann::ordered_json;

struct KindInfo {
  std::string kind;     // "Deployment"
  bool namespaced = true;
};

// "pods", "pod", "po", "Pod" -> Pod; nullopt for an unknown name.
std::optional<KindInfo> ResolveKind(const std::string& name);
// Every kind name ResolveKind knows, for error messages.
std::string KnownKinds();

// The object of a stored value with the controller-written status merged in as
// object.status; a null Json when the value is not JSON.
OJson ObjectOf(const v1::Object& o);

// "5s", "3m", "2h", "4d" since an RFC 3339 time; "<unknown>" when unparsable.
std::string Age(const std::string& rfc3339);
// Fields by path ("metadata.name"); a null Json when absent.
const OJson& At(const OJson& j, std::initializer_list<const char*> path);
std::string StrAt(const OJson& j, std::initializer_list<const char*> path, const std::string& fallback = "");
int64_t IntAt(const OJson& j, std::initializer_list<const char*> path, int64_t fallback = 0);

// Prints rows as columns separated by three spaces, the first row a header.
void PrintTable(const std::vector<std::vector<std::string>>& rows);
// YAML text of a JSON value (block style, strings quoted when needed).
std::string ToYaml(const OJson& j, int indent = 0);

}  // namespace gorch::cli

// TypeCheck: finds the schema of a manifest's apiVersion and kind, then walks it
// (typecheck_walk.cc). See gorch/compiler/typecheck.h for the contract.
#include "gorch/compiler/typecheck.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "typecheck_internal.h"

namespace gorch::compiler {

namespace tc = typecheck_internal;
using lang::Value;

namespace {

std::string Quoted(std::string_view s) { return Value::String(std::string(s)).ToJson(); }

std::string JoinSorted(std::set<std::string> names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Reads apiVersion or kind: a non-empty string, else reports and returns null.
const Value* RequiredString(const Value& doc, std::string_view field, lang::Diagnostics& diags) {
  const Value* v = doc.Find(field);
  if (v == nullptr || v->is_null()) {
    diags.Error(doc.pos(), std::string(tc::kMissingField),
                std::string(field) + ": required field is missing");
    return nullptr;
  }
  if (!v->is_string()) {
    diags.Error(v->pos(), std::string(tc::kTypeMismatch),
                std::string(field) + ": expected string, got " + tc::DescribeValue(*v));
    return nullptr;
  }
  if (v->as_string().empty()) {
    diags.Error(v->pos(), std::string(tc::kInvalidValue), std::string(field) + ": must not be empty");
    return nullptr;
  }
  return v;
}

void ReportUnknownKind(const lang::SchemaSet& schemas, const Value& api, const Value& kind,
                       lang::Diagnostics& diags) {
  const std::string& kind_name = kind.as_string();
  std::set<std::string> all_kinds, same_version;
  for (const lang::KindSchema* k : schemas.kinds()) {
    all_kinds.insert(k->kind);
    if (k->api_version == api.as_string()) same_version.insert(k->kind);
  }
  std::vector<std::string_view> candidates(all_kinds.begin(), all_kinds.end());
  std::string message = "unknown kind " + Quoted(kind_name);
  if (auto hint = tc::Suggest(kind_name, candidates)) {
    message += " (did you mean " + Quoted(*hint) + "?)";
  } else if (!same_version.empty()) {
    message += "; " + api.as_string() + " has " + JoinSorted(same_version);
  } else {
    message += "; known kinds: " + JoinSorted(all_kinds) + " (add a schema with --schema DIR)";
  }
  diags.Error(kind.pos(), std::string(tc::kUnknownKind), message);
}

void ReportUnknownVersion(const std::vector<const lang::KindSchema*>& versions, const Value& api,
                          const Value& kind, lang::Diagnostics& diags) {
  std::set<std::string> known;
  for (const lang::KindSchema* k : versions) known.insert(k->api_version);
  diags.Error(api.pos(), std::string(tc::kUnknownApiVersion),
              "unknown apiVersion " + Quoted(api.as_string()) + " for kind " + kind.as_string() +
                  "; known: " + JoinSorted(known));
}

// Resolves the schema, reporting unknown, removed and deprecated apiVersions.
const lang::KindSchema* FindSchema(const lang::SchemaSet& schemas, const Value& api,
                                   const Value& kind, lang::Diagnostics& diags) {
  const lang::KindSchema* schema = schemas.Find(api.as_string(), kind.as_string());
  auto replacement = schemas.Replacement(api.as_string(), kind.as_string());
  if (schema != nullptr) {
    if (replacement) {
      diags.Warning(api.pos(), std::string(tc::kDeprecatedApiVersion),
                    api.as_string() + " " + kind.as_string() + " is deprecated; use " +
                        *replacement);
    }
    return schema;
  }
  if (replacement) {
    diags.Error(api.pos(), std::string(tc::kDeprecatedApiVersion),
                api.as_string() + " " + kind.as_string() + " is no longer served; use " +
                    *replacement);
    return nullptr;
  }
  auto versions = schemas.FindAllVersions(kind.as_string());
  if (!versions.empty()) {
    ReportUnknownVersion(versions, api, kind, diags);
  } else {
    ReportUnknownKind(schemas, api, kind, diags);
  }
  return nullptr;
}

// metadata: name (or generateName) is required; namespaced kinds default their
// namespace to "default". (A namespace on a cluster-scoped kind is the graph
// builder's warning.)
void CheckIdentity(Value& doc, const lang::KindSchema& schema, lang::Diagnostics& diags) {
  Value* meta = doc.Find("metadata");
  if (meta == nullptr || meta->is_null()) {
    diags.Error(doc.pos(), std::string(tc::kMissingField),
                "metadata.name: required field is missing");
    return;
  }
  if (!meta->is_map()) return;  // reported by the walk
  const Value* name = meta->Find("name");
  const Value* generate = meta->Find("generateName");
  bool has_name = name != nullptr && !name->is_null();
  bool has_generate = generate != nullptr && !generate->is_null();
  if (!has_name && !has_generate) {
    diags.Error(meta->pos(), std::string(tc::kMissingField),
                "metadata.name: required field is missing");
  }
  const Value* ns = meta->Find("namespace");
  bool has_ns = ns != nullptr && !ns->is_null();
  if (schema.namespaced && !has_ns) {
    Value filled = Value::String("default", meta->pos());
    filled.set_defaulted(true);
    meta->Set("namespace", std::move(filled));
  }
}

}  // namespace

CheckedManifest TypeCheck(const lang::SchemaSet& schemas, Value doc, lang::Diagnostics& diags) {
  CheckedManifest out;
  out.object = std::move(doc);
  Value& obj = out.object;
  if (!obj.is_map()) {
    diags.Error(obj.pos(), std::string(tc::kTypeMismatch),
                "a manifest must be a map, got " + tc::DescribeValue(obj));
    return out;
  }
  const Value* api = RequiredString(obj, "apiVersion", diags);
  const Value* kind = RequiredString(obj, "kind", diags);
  if (api == nullptr || kind == nullptr) return out;
  out.schema = FindSchema(schemas, *api, *kind, diags);
  if (out.schema == nullptr) return out;
  tc::Checker checker(schemas, diags, out.refs);
  checker.CheckObject(obj, *out.schema);
  CheckIdentity(obj, *out.schema, diags);
  return out;
}

}  // namespace gorch::compiler

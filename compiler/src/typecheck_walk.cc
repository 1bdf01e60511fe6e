// The type checker's walk: one document against one type, checking, defaulting,
// evaluating constraints and collecting references as it goes.
//
// Cost model: a path is a chain of stack-allocated PathSteps turned into text only
// for a diagnostic or a reference; regexes are compiled once per thread (lang's
// MatchesPattern cache); defaults that are literals are copied without the
// evaluator.
#include <optional>
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gorch/lang/eval.h"
#include "gorch/lang/expr.h"
#include "gorch/lang/formats.h"
#include "typecheck_internal.h"

namespace gorch::compiler::typecheck_internal {

using lang::Field;
using lang::Type;
using lang::TypeKind;
using lang::Value;

namespace {

std::string Quoted(std::string_view s) { return Value::String(std::string(s)).ToJson(); }

// What a type expects, in words: "integer", "string", "a map (DeploymentSpec)".
std::string Expected(const Type& t) {
  switch (t.kind) {
    case TypeKind::kAny: return "any value";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "integer";
    case TypeKind::kFloat: return "number";
    case TypeKind::kString:
    case TypeKind::kEnum: return "string";
    case TypeKind::kRef: return "string (the name of a " + t.ref_kind + ")";
    case TypeKind::kQuantity: return "quantity (such as 2, \"100m\" or \"64Mi\")";
    case TypeKind::kDuration: return "duration (such as \"10s\" or \"1h30m\")";
    case TypeKind::kList: return "list";
    case TypeKind::kMap: return "map";
    case TypeKind::kRecord: return t.name.empty() ? "map" : "map (" + t.name + ")";
    case TypeKind::kUnion: {
      std::string out;
      for (const Type* alt : t.alternatives) {
        if (!out.empty()) out += " or ";
        out += alt ? Expected(*alt) : "any value";
      }
      return out;
    }
  }
  return "value";
}

// A default that is a literal (or `{}`, `[]`) needs no evaluator.
bool LiteralDefault(const lang::Expr& e, Value& out) {
  if (e.kind == lang::ExprKind::kLiteral) {
    out = e.value;
    return true;
  }
  if (e.kind == lang::ExprKind::kMap && e.args.empty()) {
    out = Value::MakeMap();
    return true;
  }
  if (e.kind == lang::ExprKind::kList && e.args.empty()) {
    out = Value::MakeList();
    return true;
  }
  return false;
}

// FillDefaults' view of a record's fields (CheckRecord's `present`).
constexpr unsigned char kAbsent = 0;
constexpr unsigned char kWritten = 1;      // with a non-null value
constexpr unsigned char kWrittenNull = 2;  // `field: null`, which counts as absent

// Identity of a keyed list item for duplicate detection: the key's JSON, plus the
// protocol when the item has one (Kubernetes keys ports by port and protocol, so
// 53/TCP and 53/UDP are two ports).
std::string ItemIdentity(const Value& item, std::string_view key_field) {
  const Value* key = item.Find(key_field);
  if (key == nullptr || key->is_null() || key->is_list() || key->is_map()) return {};
  std::string id = key->is_string() ? key->as_string() : key->ToJson();
  if (const Value* protocol = item.Find("protocol"); protocol && protocol->is_string()) {
    id += '\0';
    id += protocol->as_string();
  }
  return id;
}

}  // namespace

void Checker::Error(const lang::SourcePos& pos, std::string_view code, const PathStep* path,
                    std::string_view message) {
  std::string text = path ? PathString(path) : std::string();
  if (!text.empty()) text += ": ";
  text += message;
  diags_.Error(pos, std::string(code), std::move(text));
}

void Checker::Mismatch(const Value& v, const Type& t, const PathStep& path) {
  std::string message = "expected " + Expected(t) + ", got " + DescribeValue(v);
  // YAML reads `8080`, `1.0`, `yes` or `on` as a number or a bool.
  bool wants_string = t.kind == TypeKind::kString || t.kind == TypeKind::kEnum ||
                      t.kind == TypeKind::kRef || t.kind == TypeKind::kDuration;
  if (wants_string && (v.is_number() || v.is_bool())) message += " (quote it to make it a string)";
  Error(v.pos(), kTypeMismatch, &path, message);
}

void Checker::CheckValue(Value& v, const Type* t, const PathStep& path, const Value* enclosing) {
  if (t == nullptr) return;
  switch (t->kind) {
    case TypeKind::kAny: return;
    case TypeKind::kBool:
      if (!v.is_bool()) Mismatch(v, *t, path);
      return;
    case TypeKind::kInt: CheckInt(v, *t, path); return;
    case TypeKind::kFloat:
      if (!v.is_number()) Mismatch(v, *t, path);
      return;
    case TypeKind::kString:
      if (!v.is_string()) return Mismatch(v, *t, path);
      CheckString(v.as_string(), *t, path, v.pos());
      return;
    case TypeKind::kQuantity:
      if (v.is_number()) return;
      if (!v.is_string()) return Mismatch(v, *t, path);
      if (!lang::ParseQuantity(v.as_string()))
        Error(v.pos(), kInvalidValue, &path,
              "invalid quantity " + Quoted(v.as_string()) +
                  " (a number with an optional suffix such as m, Ki, Mi, Gi, k, M, G)");
      return;
    case TypeKind::kDuration:
      if (!v.is_string()) return Mismatch(v, *t, path);
      if (!lang::ParseDurationMillis(v.as_string()))
        Error(v.pos(), kInvalidValue, &path,
              "invalid duration " + Quoted(v.as_string()) + " (such as \"10s\", \"5m\", \"1h30m\")");
      return;
    case TypeKind::kList: CheckList(v, *t, path, enclosing); return;
    case TypeKind::kMap: CheckMap(v, *t, path, enclosing); return;
    case TypeKind::kRecord:
      if (!v.is_map()) return Mismatch(v, *t, path);
      CheckRecord(v, *t, path, /*top_level=*/false);
      return;
    case TypeKind::kEnum: CheckEnum(v, *t, path); return;
    case TypeKind::kUnion: CheckUnion(v, *t, path, enclosing); return;
    case TypeKind::kRef: CheckRef(v, *t, path, enclosing); return;
  }
}

void Checker::CheckInt(Value& v, const Type& t, const PathStep& path) {
  if (v.is_float() && std::isfinite(v.as_float()) && std::floor(v.as_float()) == v.as_float() &&
      std::fabs(v.as_float()) < 9.0e15) {
    v = Value::Int(static_cast<int64_t>(v.as_float()), v.pos());  // 3.0 is the integer 3
  }
  if (!v.is_int()) return Mismatch(v, t, path);
  int64_t i = v.as_int();
  const auto& r = t.refine;
  if ((r.min && i < *r.min) || (r.max && i > *r.max)) {
    std::string bound;
    if (r.min && r.max)
      bound = "between " + std::to_string(*r.min) + " and " + std::to_string(*r.max);
    else if (r.min)
      bound = ">= " + std::to_string(*r.min);
    else
      bound = "<= " + std::to_string(*r.max);
    Error(v.pos(), kInvalidValue, &path, "must be " + bound + ", got " + std::to_string(i));
  }
}

void Checker::CheckString(std::string_view s, const Type& t, const PathStep& path,
                          const lang::SourcePos& pos) {
  const auto& r = t.refine;
  if (r.min_len && s.size() < *r.min_len) {
    Error(pos, kInvalidValue, &path,
          *r.min_len == 1 ? std::string("must not be empty")
                          : "must be at least " + std::to_string(*r.min_len) + " characters");
    return;
  }
  if (r.max_len && s.size() > *r.max_len) {
    Error(pos, kInvalidValue, &path,
          "must be no more than " + std::to_string(*r.max_len) + " characters, got " +
              std::to_string(s.size()));
    return;
  }
  if (r.format != lang::StringFormat::kNone) {
    std::string why;
    if (!lang::MatchesFormat(r.format, s, &why)) {
      Error(pos, kInvalidValue, &path,
            "invalid value " + Quoted(s) + ": " +
                (why.empty() ? "not a valid " + std::string(lang::FormatName(r.format)) : why));
      return;
    }
  }
  if (r.pattern) {
    std::string error;
    if (!lang::MatchesPattern(*r.pattern, s, &error)) {
      Error(pos, kInvalidValue, &path,
            "invalid value " + Quoted(s) + ": " +
                (error.empty() ? "must match the pattern " + Quoted(*r.pattern) : error));
    }
  }
}

void Checker::CheckEnum(const Value& v, const Type& t, const PathStep& path) {
  if (!v.is_string()) return Mismatch(v, t, path);
  const std::string& s = v.as_string();
  for (const std::string& allowed : t.enum_values)
    if (allowed == s) return;
  std::string list;
  std::vector<std::string_view> candidates;
  for (const std::string& allowed : t.enum_values) {
    if (!list.empty()) list += ", ";
    list += Quoted(allowed);
    if (!allowed.empty()) candidates.push_back(allowed);
  }
  std::string message = "invalid value " + Quoted(s) + ": must be one of " + list;
  if (auto hint = Suggest(s, candidates)) message += " (did you mean " + Quoted(*hint) + "?)";
  Error(v.pos(), kInvalidValue, &path, message);
}

void Checker::CheckRef(const Value& v, const Type& t, const PathStep& path,
                       const Value* enclosing) {
  if (!v.is_string()) return Mismatch(v, t, path);
  if (v.as_string().empty()) {
    Error(v.pos(), kInvalidValue, &path, "must name a " + t.ref_kind + ", got an empty string");
    return;
  }
  Reference ref;
  ref.kind = t.ref_kind;
  ref.name = v.as_string();
  ref.field_path = PathString(&path);
  ref.pos = v.pos();
  refs_.push_back(std::move(ref));
  if (!t.refine.optional_if) return;
  // optionalIf reads the enclosing record after its defaults are filled.
  PendingOptional pending{refs_.size() - 1, t.refine.optional_if.get(), enclosing};
  if (enclosing == nullptr) {
    ResolveOptional(pending);
  } else {
    pending_.push_back(pending);
  }
}

void Checker::ResolveOptional(const PendingOptional& pending) {
  Reference& ref = refs_[pending.ref_index];
  lang::EvalScope scope;
  scope.self = pending.enclosing;
  auto optional = lang::EvaluateBool(*pending.optional_if, scope);
  if (optional.ok()) {
    ref.optional = *optional;
  } else {
    diags_.Error(ref.pos, std::string(kConstraint),
                 ref.field_path + ": cannot evaluate optionalIf `" +
                     lang::ExprToString(*pending.optional_if) +
                     "`: " + optional.status().message());
  }
}

void Checker::ResolvePendingOf(const Value& record) {
  size_t kept = 0;
  for (const PendingOptional& p : pending_) {
    if (p.enclosing == &record) {
      ResolveOptional(p);
    } else {
      pending_[kept++] = p;
    }
  }
  pending_.resize(kept);
}

void Checker::CheckList(Value& v, const Type& t, const PathStep& path, const Value* enclosing) {
  if (!v.is_list()) return Mismatch(v, t, path);
  auto& items = v.as_list();
  const auto& r = t.refine;
  if (r.min_items && items.size() < *r.min_items) {
    Error(v.pos(), kInvalidValue, &path,
          *r.min_items == 1 ? std::string("must have at least one item")
                            : "must have at least " + std::to_string(*r.min_items) + " items");
  }
  if (r.max_items && items.size() > *r.max_items)
    Error(v.pos(), kInvalidValue, &path,
          "must have at most " + std::to_string(*r.max_items) + " items");
  for (size_t i = 0; i < items.size(); ++i) {
    PathStep step;
    step.parent = &path;
    step.is_item = true;
    step.index = i;
    step.item = &items[i];
    step.list_key = t.list_key;
    if (items[i].is_null() && t.element && t.element->kind != TypeKind::kAny) {
      Mismatch(items[i], *t.element, step);
      continue;
    }
    CheckValue(items[i], t.element, step, enclosing);
  }
  if (!t.list_key.empty() && items.size() > 1) CheckKeyedDuplicates(v, t, path);
}

void Checker::CheckKeyedDuplicates(const Value& list, const Type& t, const PathStep& path) {
  const auto& items = list.as_list();
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const Value& item : items) ids.push_back(ItemIdentity(item, t.list_key));
  // Small lists (nearly all) compare pairwise; long ones go through a hash map.
  constexpr size_t kPairwiseMax = 32;
  std::unordered_map<std::string_view, size_t> first_of;
  if (items.size() > kPairwiseMax) first_of.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (ids[i].empty()) continue;
    size_t first = i;
    if (items.size() > kPairwiseMax) {
      first = first_of.emplace(ids[i], i).first->second;
    } else {
      for (size_t j = 0; j < i; ++j)
        if (ids[j] == ids[i]) {
          first = j;
          break;
        }
    }
    if (first == i) continue;
    PathStep step;
    step.parent = &path;
    step.is_item = true;
    step.index = i;
    const Value* key = items[i].Find(t.list_key);
    Error(key->pos(), kDuplicateKey, &step,
          "duplicate " + t.list_key + " " +
              (key->is_string() ? Quoted(key->as_string()) : key->ToJson()) + " (item " +
              std::to_string(first) + " has it too)");
  }
}

void Checker::CheckMap(Value& v, const Type& t, const PathStep& path, const Value* enclosing) {
  if (!v.is_map()) return Mismatch(v, t, path);
  const Type* key_type = t.key;
  bool check_keys = key_type != nullptr &&
                    ((key_type->kind == TypeKind::kString &&
                      (key_type->refine.format != lang::StringFormat::kNone ||
                       key_type->refine.pattern || key_type->refine.min_len ||
                       key_type->refine.max_len)) ||
                     key_type->kind == TypeKind::kEnum);
  const auto& r = t.refine;
  if (r.min_items && v.as_map().size() < *r.min_items)
    Error(v.pos(), kInvalidValue, &path,
          "must have at least " + std::to_string(*r.min_items) + " entries");
  for (auto& [k, child] : v.as_map()) {
    PathStep step;
    step.parent = &path;
    step.name = k;
    step.is_map_key = true;
    if (check_keys) {
      if (key_type->kind == TypeKind::kEnum) {
        CheckEnum(Value::String(k, child.pos()), *key_type, step);
      } else {
        CheckString(k, *key_type, step, child.pos());
      }
    }
    if (child.is_null() && t.element && t.element->kind != TypeKind::kAny) {
      Mismatch(child, *t.element, step);
      continue;
    }
    CheckValue(child, t.element, step, enclosing);
  }
}

void Checker::CheckUnion(Value& v, const Type& t, const PathStep& path, const Value* enclosing) {
  // The first alternative that accepts v wins. Trials run against a copy of v
  // (checking may fill defaults) with their own diagnostics and references.
  const Type* fitting = nullptr;
  size_t fit_count = 0;
  for (const Type* alt : t.alternatives) {
    if (!KindFits(v, alt)) continue;
    ++fit_count;
    if (fitting == nullptr) fitting = alt;
    lang::Diagnostics trial_diags;
    std::vector<Reference> trial_refs;
    Checker trial(schemas_, trial_diags, trial_refs);
    Value copy = v;
    trial.CheckValue(copy, alt, path, enclosing);
    if (!trial_diags.HasErrors()) {
      v = std::move(copy);
      diags_.Merge(std::move(trial_diags));
      size_t offset = refs_.size();
      for (auto& ref : trial_refs) refs_.push_back(std::move(ref));
      // Pending optionalIfs of references inside the copy now belong to v.
      for (PendingOptional p : trial.pending_) {
        p.ref_index += offset;
        if (p.enclosing == &copy) p.enclosing = &v;
        pending_.push_back(p);
      }
      return;
    }
  }
  if (fit_count == 1) {
    CheckValue(v, fitting, path, enclosing);  // its errors are the precise ones
    return;
  }
  Mismatch(v, t, path);
}

void Checker::UnknownField(std::string_view name, const Value& v, const Type& t,
                           const PathStep& path) {
  PathStep step;
  step.parent = &path;
  step.name = name;
  std::vector<std::string_view> candidates;
  candidates.reserve(t.fields.size());
  for (const Field& f : t.fields) candidates.push_back(f.name);
  std::string message = "unknown field";
  if (auto hint = Suggest(name, candidates)) message += " (did you mean " + Quoted(*hint) + "?)";
  Error(v.pos(), kUnknownField, &step, message);
}

void Checker::CheckRecord(Value& v, const Type& t, const PathStep& path, bool top_level) {
  size_t errors_before = diags_.error_count();
  // present[i]: field i is written with a non-null value. On the stack for the
  // records that occur (the largest has ~40 fields).
  constexpr size_t kInline = 64;
  unsigned char inline_present[kInline];
  std::fill(inline_present, inline_present + kInline, kAbsent);
  std::vector<unsigned char> heap_present;
  unsigned char* present = inline_present;
  if (t.fields.size() > kInline) {
    heap_present.assign(t.fields.size(), kAbsent);
    present = heap_present.data();
  }
  for (auto& [k, child] : v.as_map()) {
    if (top_level && (k == "apiVersion" || k == "kind" || k == "metadata")) continue;
    const Field* f = t.FindField(k);
    if (f == nullptr) {
      if (!t.open) UnknownField(k, child, t, path);
      continue;
    }
    size_t index = static_cast<size_t>(f - t.fields.data());
    if (child.is_null()) {  // as Kubernetes does: null is absent
      present[index] = kWrittenNull;
      continue;
    }
    present[index] = kWritten;
    PathStep step;
    step.parent = &path;
    step.name = k;
    CheckValue(child, f->type, step, &v);
  }
  FillDefaults(v, t, path, present);
  ResolvePendingOf(v);
  if (diags_.error_count() == errors_before) CheckConstraints(v, t, path);
}

void Checker::FillDefaults(Value& v, const Type& t, const PathStep& path,
                           const unsigned char* present) {
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (present[i] == kWritten) continue;
    const Field& f = t.fields[i];
    PathStep step;
    step.parent = &path;
    step.name = f.name;
    if (!f.default_value) {
      if (f.required) Error(v.pos(), kMissingField, &step, "required field is missing");
      continue;
    }
    lang::EvalScope scope;
    scope.self = &v;
    if (f.default_when) {
      auto when = lang::EvaluateBool(*f.default_when, scope);
      if (!when.ok()) {
        Error(v.pos(), kConstraint, &step,
              "cannot evaluate the default's condition `" + lang::ExprToString(*f.default_when) +
                  "`: " + when.status().message());
        continue;
      }
      if (!*when) {
        if (f.required) Error(v.pos(), kMissingField, &step, "required field is missing");
        continue;
      }
    }
    Value filled;
    if (!LiteralDefault(*f.default_value, filled)) {
      auto result = lang::Evaluate(*f.default_value, scope);
      if (!result.ok()) {
        Error(v.pos(), kConstraint, &step,
              "cannot evaluate the default `" + lang::ExprToString(*f.default_value) +
                  "`: " + result.status().message());
        continue;
      }
      filled = std::move(*result);
    }
    if (filled.is_null()) continue;  // a default that reads an absent field
    MarkDefaulted(filled, v.pos());
    Value* slot;
    if (present[i] == kWrittenNull) {
      slot = &v.Set(f.name, std::move(filled));  // replaces the null in place
    } else {
      slot = &v.as_map().emplace_back(f.name, std::move(filled)).second;
    }
    Value& filled_slot = *slot;
    CheckValue(filled_slot, f.type, step, &v);
  }
}

void Checker::CheckConstraints(const Value& v, const Type& t, const PathStep& path) {
  for (const lang::Constraint& c : t.constraints) {
    if (!c.expr) continue;
    lang::EvalScope scope;
    scope.self = &v;
    auto ok = lang::EvaluateBool(*c.expr, scope);
    if (!ok.ok()) {
      Error(v.pos(), kConstraint, &path,
            "cannot evaluate the constraint `" + lang::ExprToString(*c.expr) +
                "`: " + ok.status().message());
    } else if (!*ok) {
      Error(v.pos(), kConstraint, &path, c.message);
    }
  }
}

namespace {

// RBAC objects are named by path segments, not DNS subdomains ("system:viewer").
bool UsesPathSegmentNames(std::string_view kind) {
  return kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" || kind == "ClusterRoleBinding";
}

}  // namespace

void Checker::CheckObject(Value& doc, const lang::KindSchema& schema) {
  PathStep root;
  if (Value* meta = doc.Find("metadata"); meta != nullptr && !meta->is_null()) {
    PathStep step;
    step.parent = &root;
    step.name = "metadata";
    // Such a name is checked here and hidden from ObjectMeta's DNS format.
    std::optional<Value> path_name;
    if (UsesPathSegmentNames(schema.kind) && meta->is_map()) {
      if (Value* name = meta->Find("name"); name != nullptr && name->is_string()) {
        const std::string& n = name->as_string();
        if (n.empty() || n == "." || n == ".." || n.find_first_of("/%") != std::string::npos) {
          PathStep name_step;
          name_step.parent = &step;
          name_step.name = "name";
          Error(name->pos(), kInvalidValue, &name_step,
                "invalid value \"" + n + "\": a " + schema.kind + " name may not be empty, \".\" or \"..\", nor contain '/' or '%'");
        }
        path_name = std::move(*name);
        meta->Erase("name");
      }
    }
    CheckValue(*meta, schemas_.FindType("ObjectMeta"), step, &doc);
    if (path_name) {
      auto& m = meta->as_map();
      m.insert(m.begin(), {"name", std::move(*path_name)});
    }
  }
  if (schema.body != nullptr) CheckRecord(doc, *schema.body, root, /*top_level=*/true);
}

}  // namespace gorch::compiler::typecheck_internal

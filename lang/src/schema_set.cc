// SchemaSet: storage, lookups, and Finalize (name resolution and the checks that
// need resolved types).
#include <algorithm>
#include <unordered_set>

#include "gorch/lang/types.h"
#include "literal_check.h"
#include "schema_set_impl.h"
#include "suggest.h"

namespace gorch::lang {

namespace internal {

SchemaData::SchemaData() {
  any = NewType(TypeKind::kAny);
  boolean = NewType(TypeKind::kBool);
  integer = NewType(TypeKind::kInt);
  number = NewType(TypeKind::kFloat);
  string = NewType(TypeKind::kString);
  quantity = NewType(TypeKind::kQuantity);
  duration = NewType(TypeKind::kDuration);
}

Type* SchemaData::NewType(TypeKind kind, SourcePos pos) {
  owned.push_back(std::make_unique<Type>());
  Type* t = owned.back().get();
  t->kind = kind;
  t->pos = pos;
  return t;
}

Type* SchemaData::NewReference(std::string name, SourcePos pos) {
  Type* t = NewType(TypeKind::kAny, pos);
  unresolved[t] = {std::move(name), pos};
  return t;
}

Type* SchemaData::Builtin(std::string_view name) const {
  if (name == "any") return any;
  if (name == "bool") return boolean;
  if (name == "int") return integer;
  if (name == "float") return number;
  if (name == "string") return string;
  if (name == "quantity") return quantity;
  if (name == "duration") return duration;
  return nullptr;
}

namespace {

constexpr size_t kIndexFieldsAbove = 8;

class Resolver {
 public:
  Resolver(SchemaData& data, Diagnostics& diags) : data_(data), diags_(diags) {}

  void Run() {
    for (const auto& name : data_.type_order) {
      auto& named = data_.named[name];
      named.type = Resolve(named.type);
    }
    for (const auto& t : data_.owned) Patch(*t);
    for (const auto& check : data_.checks) RunCheck(check);
    CheckUnionCycles();
    CheckDeprecations();
    if (!data_.kinds.empty() && !data_.named.count("ObjectMeta")) {
      diags_.Error(data_.kinds.front()->pos, "schema",
                   "kinds need the type ObjectMeta for their metadata (declared in "
                   "schemas/core.gorch)");
    }
    for (const auto& t : data_.owned) IndexFields(*t);
    for (const auto& t : data_.owned) CheckConstantDefaults(*t);
  }

 private:
  // Follows a reference (and aliases of aliases) to the declared type. Unknown
  // names and alias cycles are reported and become `any`.
  Type* Resolve(Type* t) {
    std::vector<std::string> chain;
    Type* start = t;
    while (true) {
      auto it = data_.unresolved.find(t);
      if (it == data_.unresolved.end()) break;
      if (auto done = resolved_.find(t); done != resolved_.end()) {
        t = done->second;
        break;
      }
      const std::string& name = it->second.name;
      if (std::find(chain.begin(), chain.end(), name) != chain.end()) {
        std::string cycle;
        for (const auto& n : chain) cycle += n + " -> ";
        diags_.Error(data_.named[name].pos, "schema", "type alias cycle: " + cycle + name);
        t = data_.any;
        break;
      }
      chain.push_back(name);
      auto named = data_.named.find(name);
      if (named == data_.named.end()) {
        ReportUnknown(name, it->second.pos);
        t = data_.any;
        break;
      }
      t = named->second.type;
    }
    resolved_[start] = t;
    return t;
  }

  void ReportUnknown(const std::string& name, SourcePos pos) {
    if (data_.broken_names.count(name)) return;  // its declaration had a syntax error
    std::vector<std::string_view> candidates = {"any", "bool", "int", "float", "string",
                                                "quantity", "duration", "list", "map", "ref"};
    for (const auto& n : data_.type_order) candidates.push_back(n);
    diags_.Error(pos, "schema", "unknown type '" + name + "'" + DidYouMean(name, candidates));
  }

  void PatchSlot(const Type*& slot) {
    if (slot && data_.unresolved.count(slot)) slot = Resolve(const_cast<Type*>(slot));
  }

  void Patch(Type& t) {
    PatchSlot(t.element);
    PatchSlot(t.key);
    for (const Type*& alt : t.alternatives) PatchSlot(alt);
    for (Field& f : t.fields) PatchSlot(f.type);
  }

  static bool IsStringLike(const Type* t, int depth = 0) {
    if (!t || depth > 16) return false;
    if (t->kind == TypeKind::kString || t->kind == TypeKind::kEnum) return true;
    if (t->kind != TypeKind::kUnion || t->alternatives.empty()) return false;
    return std::all_of(t->alternatives.begin(), t->alternatives.end(),
                       [&](const Type* a) { return IsStringLike(a, depth + 1); });
  }

  void RunCheck(const SchemaData::PendingCheck& check) {
    const Type* t = check.type;
    switch (check.kind) {
      case SchemaData::PendingCheck::kMapKey:
        if (!IsStringLike(t->key) && t->key != data_.any) {
          diags_.Error(check.pos, "schema",
                       "map keys must be a string type, got " + t->key->Describe());
        }
        return;
      case SchemaData::PendingCheck::kListKey: {
        const Type* element = t->element;
        if (!element || element->kind != TypeKind::kRecord) {
          diags_.Error(check.pos, "schema",
                       "'keyed " + t->list_key + "' needs a list of records, got list<" +
                           (element ? element->Describe() : "any") + ">");
        } else if (!element->FindField(t->list_key)) {
          diags_.Error(check.pos, "schema",
                       "list key '" + t->list_key + "' is not a field of " + element->Describe());
        }
        return;
      }
      case SchemaData::PendingCheck::kRefKind: {
        bool found = std::any_of(data_.kinds.begin(), data_.kinds.end(),
                                 [&](const auto& k) { return k->kind == t->ref_kind; });
        if (!found) {
          std::vector<std::string_view> names;
          for (const auto& k : data_.kinds) names.push_back(k->kind);
          diags_.Error(check.pos, "schema",
                       "unknown kind '" + t->ref_kind + "' in ref<" + t->ref_kind + ">" +
                           DidYouMean(t->ref_kind, names));
        }
        return;
      }
    }
  }

  // A union that reaches itself through unions only would make a checker loop.
  void CheckUnionCycles() {
    for (const auto& owned : data_.owned) {
      const Type* u = owned.get();
      if (u->kind != TypeKind::kUnion) continue;
      std::vector<const Type*> stack(u->alternatives.begin(), u->alternatives.end());
      std::unordered_set<const Type*> seen;
      while (!stack.empty()) {
        const Type* t = stack.back();
        stack.pop_back();
        if (t == u) {
          diags_.Error(u->pos, "schema",
                       "union type '" + u->Describe() + "' contains itself as an alternative");
          break;
        }
        if (!t || t->kind != TypeKind::kUnion || !seen.insert(t).second) continue;
        stack.insert(stack.end(), t->alternatives.begin(), t->alternatives.end());
      }
    }
  }

  void CheckDeprecations() {
    for (const auto& [key, dep] : data_.deprecated) {
      if (!data_.kind_index.count(std::make_pair(dep.replacement, key.second))) {
        diags_.Error(dep.pos, "schema",
                     "replacement " + key.second + " \"" + dep.replacement + "\" is not declared");
      }
    }
  }

  void CheckConstantDefaults(const Type& t) {
    for (const Field& f : t.fields) {
      if (!f.default_value) continue;
      auto value = ConstantValue(*f.default_value);
      if (!value) continue;
      std::string why = LiteralMismatch(f.type, *value);
      if (!why.empty()) {
        diags_.Error(f.default_value->pos, "schema",
                     "default of '" + f.name + "' does not fit its type: " + why);
      }
    }
  }

  static void IndexFields(Type& t) {
    if (t.kind != TypeKind::kRecord || t.fields.size() <= kIndexFieldsAbove) return;
    t.field_index.reserve(t.fields.size());
    for (uint32_t i = 0; i < t.fields.size(); ++i) t.field_index.emplace(t.fields[i].name, i);
  }

  SchemaData& data_;
  Diagnostics& diags_;
  std::unordered_map<const Type*, Type*> resolved_;
};

}  // namespace
}  // namespace internal

struct SchemaSet::Impl : internal::SchemaData {};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;

void SchemaSet::AddFile(std::string_view file_name, std::string_view text, Diagnostics& diags) {
  if (impl_->finalized) {
    diags.Error({InternFileName(file_name), 0, 0}, "schema",
                "schema file added after the schema set was finalized");
    return;
  }
  size_t errors_before = diags.error_count();
  internal::ParseSchemaFile(*impl_, file_name, text, diags);
  if (diags.error_count() != errors_before) impl_->had_errors = true;
}

bool SchemaSet::Finalize(Diagnostics& diags) {
  if (impl_->finalized) {
    diags.Error({}, "schema", "SchemaSet::Finalize called twice");
    return false;
  }
  size_t errors_before = diags.error_count();
  internal::Resolver(*impl_, diags).Run();
  impl_->finalized = true;
  // References were patched; the placeholders are no longer reachable.
  impl_->unresolved.clear();
  return diags.error_count() == errors_before && !impl_->had_errors;
}

const KindSchema* SchemaSet::Find(std::string_view api_version, std::string_view kind) const {
  auto it = impl_->kind_index.find(std::make_pair(std::string(api_version), std::string(kind)));
  return it == impl_->kind_index.end() ? nullptr : it->second;
}

std::vector<const KindSchema*> SchemaSet::FindAllVersions(std::string_view kind) const {
  std::vector<const KindSchema*> out;
  for (const auto& k : impl_->kinds)
    if (k->kind == kind) out.push_back(k.get());
  return out;
}

std::optional<std::string> SchemaSet::Replacement(std::string_view api_version,
                                                  std::string_view kind) const {
  auto it = impl_->deprecated.find(std::make_pair(std::string(api_version), std::string(kind)));
  if (it == impl_->deprecated.end()) return std::nullopt;
  return it->second.replacement;
}

const Type* SchemaSet::FindType(std::string_view name) const {
  auto it = impl_->named.find(std::string(name));
  if (it == impl_->named.end()) return nullptr;
  // Before Finalize an alias may still be a placeholder: not a real type yet.
  if (impl_->unresolved.count(it->second.type)) return nullptr;
  return it->second.type;
}

std::vector<const KindSchema*> SchemaSet::kinds() const {
  std::vector<const KindSchema*> out;
  out.reserve(impl_->kinds.size());
  for (const auto& k : impl_->kinds) out.push_back(k.get());
  return out;
}

std::vector<const Type*> SchemaSet::types() const {
  std::vector<const Type*> out;
  out.reserve(impl_->type_order.size());
  for (const auto& name : impl_->type_order) out.push_back(FindType(name));
  return out;
}

}  // namespace gorch::lang

// Schema-driven diff of desired against live objects.
#include "gorch/planner/diff.h"

#include <algorithm>
#include <map>
#include <set>

namespace gorch::planner {

using lang::Type;
using lang::TypeKind;
using lang::Value;

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kCreate: return "create";
    case Action::kUpdate: return "update";
    case Action::kDelete: return "delete";
    case Action::kNoOp: return "no-op";
    case Action::kOrphan: return "orphan";
  }
  return "no-op";
}

namespace {

// Fields the control plane owns: never a change.
bool IsControlPlaneField(const std::string& path) {
  static const std::set<std::string> kIgnored = {
      "status", "metadata.uid", "metadata.resourceVersion", "metadata.generation",
      "metadata.creationTimestamp", "metadata.managedFields", "metadata.selfLink",
      "metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds"};
  return kIgnored.count(path) > 0;
}

class ObjectDiffer {
 public:
  ObjectDiffer(const lang::SchemaSet& schemas, std::vector<FieldChange>& out)
      : schemas_(schemas), out_(out) {}

  void DiffTop(const Value& desired, const Value& live, const Type* body) {
    body_ = body;
    DiffMaps(desired, live, nullptr, "", /*top=*/true);
  }

 private:
  // The type of field `key` of a value of type t (a record or a map); null when
  // unknown, which falls back to a generic structural diff.
  const Type* ChildType(const Type* t, const std::string& key, bool top) const {
    if (top) {
      if (key == "metadata") return schemas_.FindType("ObjectMeta");
      if (!body_) return nullptr;
      const lang::Field* f = body_->FindField(key);
      return f ? f->type : nullptr;
    }
    if (!t) return nullptr;
    if (t->kind == TypeKind::kRecord) {
      const lang::Field* f = t->FindField(key);
      return f ? f->type : nullptr;
    }
    if (t->kind == TypeKind::kMap) return t->element;
    return nullptr;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  void Added(const std::string& path, const Value& v) {
    if (v.defaulted()) return;  // a default the live object predates: not a change
    out_.push_back({path, std::nullopt, v});
  }
  void Removed(const std::string& path, const Value& v) { out_.push_back({path, v, std::nullopt}); }

  void DiffMaps(const Value& desired, const Value& live, const Type* t, const std::string& path, bool top) {
    for (const auto& [key, dv] : desired.as_map()) {
      std::string child = Join(path, key);
      if (IsControlPlaneField(child) || (top && key == "kind")) continue;
      const Value* lv = live.Find(key);
      if (!lv) Added(child, dv);
      else DiffValues(dv, *lv, ChildType(t, key, top), child);
    }
    for (const auto& [key, lv] : live.as_map()) {
      std::string child = Join(path, key);
      if (IsControlPlaneField(child) || (top && key == "kind")) continue;
      if (!desired.Find(key)) Removed(child, lv);
    }
  }

  static const Value* KeyOf(const Value& item, const std::string& key) {
    const Value* k = item.Find(key);
    return k && (k->is_string() || k->is_int()) ? k : nullptr;
  }
  static std::string KeyText(const Value& k) { return k.is_string() ? k.as_string() : k.ToJson(); }

  // Items of a keyed list are matched by key when every item has a unique one.
  bool DiffKeyedLists(const Value& desired, const Value& live, const Type* t, const std::string& path) {
    const std::string& key = t->list_key;
    std::map<std::string, const Value*> live_by_key;
    for (const Value& item : live.as_list()) {
      const Value* k = KeyOf(item, key);
      if (!k || !live_by_key.emplace(KeyText(*k), &item).second) return false;
    }
    std::set<std::string> desired_keys;
    for (const Value& item : desired.as_list()) {
      const Value* k = KeyOf(item, key);
      if (!k || !desired_keys.insert(KeyText(*k)).second) return false;
    }
    for (const Value& item : desired.as_list()) {
      std::string k = KeyText(*KeyOf(item, key));
      std::string child = path + "[" + k + "]";
      auto it = live_by_key.find(k);
      if (it == live_by_key.end()) Added(child, item);
      else DiffValues(item, *it->second, t->element, child);
    }
    for (const Value& item : live.as_list()) {
      std::string k = KeyText(*KeyOf(item, key));
      if (!desired_keys.count(k)) Removed(path + "[" + k + "]", item);
    }
    return true;
  }

  void DiffLists(const Value& desired, const Value& live, const Type* t, const std::string& path) {
    if (t && t->kind == TypeKind::kList && !t->list_key.empty() && DiffKeyedLists(desired, live, t, path))
      return;
    const auto& d = desired.as_list();
    const auto& l = live.as_list();
    // Scalars lists (args, command): one change for the whole list reads best.
    bool scalars = std::none_of(d.begin(), d.end(), [](const Value& v) { return v.is_map() || v.is_list(); });
    if (scalars || d.size() != l.size()) {
      if (!(desired == live)) out_.push_back({path, live, desired});
      return;
    }
    const Type* elem = t && t->kind == TypeKind::kList ? t->element : nullptr;
    for (size_t i = 0; i < d.size(); ++i) DiffValues(d[i], l[i], elem, path + "[" + std::to_string(i) + "]");
  }

  void DiffValues(const Value& desired, const Value& live, const Type* t, const std::string& path) {
    // Equal subtrees (almost all of them) cost one comparison and no path strings.
    // A defaulted value the live side lacks makes them unequal; the walk below
    // then skips it (Added), so the fast path never hides a change.
    if (desired == live) return;
    if (desired.is_map() && live.is_map()) {
      // A map of scalars (labels, data) or a record: recurse either way, so a
      // change names the one key that changed.
      DiffMaps(desired, live, t, path, false);
    } else if (desired.is_list() && live.is_list()) {
      DiffLists(desired, live, t, path);
    } else {
      out_.push_back({path, live, desired});
    }
  }

  const lang::SchemaSet& schemas_;
  std::vector<FieldChange>& out_;
  const Type* body_ = nullptr;
};

}  // namespace

std::vector<FieldChange> DiffObjects(const Value& desired, const Value& live, const Type* body_type,
                                     const lang::SchemaSet& schemas) {
  std::vector<FieldChange> out;
  if (!desired.is_map() || !live.is_map()) {
    if (!(desired == live)) out.push_back({"", live, desired});
    return out;
  }
  ObjectDiffer(schemas, out).DiffTop(desired, live, body_type);
  return out;
}

std::vector<ResourceChange> Diff(const compiler::DesiredState& desired, const LiveState& live,
                                 const lang::SchemaSet& schemas, const DiffOptions& options) {
  std::vector<ResourceChange> changes;
  changes.reserve(desired.resources.size());
  for (size_t idx : desired.order) {
    const compiler::Resource& r = desired.resources[idx];
    ResourceChange c{r.id, r.api_version, Action::kCreate, {}, r.pos};
    if (const LiveResource* l = live.Find(r.id)) {
      if (l->applied_hash == r.content_hash && !l->applied_hash.empty() && !options.compare_applied &&
          l->owner == options.owner) {
        c.action = Action::kNoOp;  // fast path: same content as last applied
      } else {
        const lang::KindSchema* schema = schemas.Find(r.api_version, r.id.kind);
        c.fields = DiffObjects(r.object, l->object, schema ? schema->body : nullptr, schemas);
        // Taking over what another owner applied is a change even when the
        // content is the same: from now on this owner prunes it.
        if (l->owner != options.owner)
          c.fields.push_back({"(owner)", Value::String(l->owner), Value::String(options.owner)});
        c.action = c.fields.empty() ? Action::kNoOp : Action::kUpdate;
      }
    }
    changes.push_back(std::move(c));
  }
  // What left git: deleted (dependents first) if gorch created it, else reported.
  std::vector<const LiveResource*> gone;
  for (const LiveResource& l : live.resources)
    if (l.owner == options.owner && !desired.Find(l.id)) gone.push_back(&l);
  std::stable_sort(gone.begin(), gone.end(), [](const LiveResource* a, const LiveResource* b) {
    int ra = compiler::CreationRank(a->id.kind), rb = compiler::CreationRank(b->id.kind);
    if (ra != rb) return ra > rb;
    return a->id < b->id;
  });
  for (const LiveResource* l : gone) {
    Action a = l->managed && options.prune ? Action::kDelete : Action::kOrphan;
    if (a == Action::kOrphan) continue;
    changes.push_back({l->id, l->api_version, a, {}, {}});
  }
  for (const LiveResource* l : gone)
    if (!(l->managed && options.prune)) changes.push_back({l->id, l->api_version, Action::kOrphan, {}, {}});
  return changes;
}

}  // namespace gorch::planner

#include "gorch/planner/live_state.h"

#include <algorithm>

#include "gorch/planner/value_json.h"

namespace gorch::planner {

using lang::Value;

const LiveResource* LiveState::Find(const compiler::ResourceId& id) const {
  auto it = std::lower_bound(resources.begin(), resources.end(), id,
                             [](const LiveResource& r, const compiler::ResourceId& k) { return r.id < k; });
  return it != resources.end() && it->id == id ? &*it : nullptr;
}

void LiveState::Sort() {
  std::sort(resources.begin(), resources.end(),
            [](const LiveResource& a, const LiveResource& b) { return a.id < b.id; });
}

std::string LiveResource::ToStoreValue() const {
  auto q = [](const std::string& s) { return Value::String(s).ToJson(); };
  return "{\"apiVersion\":" + q(api_version) + ",\"managed\":" + (managed ? "true" : "false") +
         ",\"appliedHash\":" + q(applied_hash) + (owner.empty() ? "" : ",\"owner\":" + q(owner)) +
         ",\"object\":" + object.ToJson() + "}";
}

std::string LiveState::ToJson() const {
  auto q = [](const std::string& s) { return Value::String(s).ToJson(); };
  std::string out = "{\"revision\":" + std::to_string(revision) + ",\"appliedCommit\":" + q(applied_commit) +
                    ",\"appliedHash\":" + q(applied_hash) + ",\"resources\":[";
  for (size_t i = 0; i < resources.size(); ++i) {
    const LiveResource& r = resources[i];
    if (i) out += ',';
    out += "{\"kind\":" + q(r.id.kind) + ",\"namespace\":" + q(r.id.namespace_) + ",\"name\":" + q(r.id.name) +
           ",\"apiVersion\":" + q(r.api_version) + ",\"managed\":" + (r.managed ? "true" : "false") +
           ",\"modRevision\":" + std::to_string(r.mod_revision) + ",\"appliedHash\":" + q(r.applied_hash) +
           (r.owner.empty() ? "" : ",\"owner\":" + q(r.owner)) + ",\"object\":" + r.object.ToJson() + "}";
  }
  return out + "]}";
}

namespace {

std::string Str(const Value& v, std::string_view key) {
  const Value* f = v.Find(key);
  return f && f->is_string() ? f->as_string() : std::string();
}

}  // namespace

Result<LiveState> LiveState::FromJson(std::string_view json, std::string_view file_name) {
  Result<Value> parsed = ParseJsonValue(json, file_name);
  if (!parsed.ok()) return parsed.status();
  const Value& root = *parsed;
  std::string where(file_name);
  if (!root.is_map()) return Status::InvalidArgument(where + ": a live state must be a JSON object");
  LiveState live;
  if (const Value* rev = root.Find("revision"); rev && rev->is_int()) live.revision = rev->as_int();
  live.applied_commit = Str(root, "appliedCommit");
  live.applied_hash = Str(root, "appliedHash");
  const Value* list = root.Find("resources");
  if (list && !list->is_list()) return Status::InvalidArgument(where + ": \"resources\" must be a list");
  if (list) {
    for (size_t i = 0; i < list->as_list().size(); ++i) {
      const Value& item = list->as_list()[i];
      LiveResource r;
      r.id = {Str(item, "kind"), Str(item, "namespace"), Str(item, "name")};
      if (r.id.kind.empty() || r.id.name.empty())
        return Status::InvalidArgument(where + ": resources[" + std::to_string(i) + "] needs a kind and a name");
      r.api_version = Str(item, "apiVersion");
      r.applied_hash = Str(item, "appliedHash");
      r.owner = Str(item, "owner");
      if (const Value* m = item.Find("managed"); m && m->is_bool()) r.managed = m->as_bool();
      if (const Value* mr = item.Find("modRevision"); mr && mr->is_int()) r.mod_revision = mr->as_int();
      if (const Value* o = item.Find("object")) r.object = *o;
      live.resources.push_back(std::move(r));
    }
  }
  live.Sort();
  return live;
}

Result<LiveState> LiveState::FromStore(int64_t revision,
                                      const std::vector<std::pair<std::string, std::string>>& entries) {
  LiveState live;
  live.revision = revision;
  for (const auto& [key, value] : entries) {
    if (key == kAppliedKey) {
      auto v = ParseJsonValue(value, key);
      if (!v.ok()) return v.status();
      live.applied_commit = Str(*v, "commit");
      live.applied_hash = Str(*v, "hash");
      continue;
    }
    if (key.rfind("/gorch/", 0) == 0) continue;
    // "/<Kind>/<namespace>/<name>": exactly three parts after the leading '/'.
    size_t a = key.find('/', 1), b = a == std::string::npos ? a : key.find('/', a + 1);
    if (key.empty() || key[0] != '/' || b == std::string::npos || key.find('/', b + 1) != std::string::npos)
      continue;
    LiveResource r;
    r.id = {key.substr(1, a - 1), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
    if (r.id.kind == "Node" || r.id.kind == "Event") continue;
    auto v = ParseJsonValue(value, key);
    if (!v.ok()) return Status::Corruption("store value at " + key + ": " + v.status().message());
    if (const Value* owners = v->FindPath("object.metadata.ownerReferences");
        owners && owners->is_list() && !owners->as_list().empty())
      continue;
    r.api_version = Str(*v, "apiVersion");
    r.applied_hash = Str(*v, "appliedHash");
    r.owner = Str(*v, "owner");
    if (const Value* m = v->Find("managed"); m && m->is_bool()) r.managed = m->as_bool();
    if (const Value* o = v->Find("object")) r.object = *o;
    live.resources.push_back(std::move(r));
  }
  live.Sort();
  return live;
}

}  // namespace gorch::planner

#include "gorch/engine/apply.h"

#include <atomic>
#include <chrono>

#include "gorch/planner/scheduler_input.h"
#include "gorch/planner/value_json.h"
#include "rfc3339.h"

namespace gorch::engine {

using planner::Action;
using store::Compare;
using store::Op;

Result<planner::LiveState> ReadLiveStateAt(store::Store& st, int64_t revision, planner::ClusterSnapshot* nodes) {
  auto range = st.Range(store::RangeRequest::Prefix("/", revision));
  if (!range.ok()) return range.status();
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(range->kvs.size());
  for (auto& kv : range->kvs) {
    if (kv.key.rfind("/Node//", 0) == 0) {
      if (!nodes) continue;
      auto v = planner::ParseJsonValue(kv.value, kv.key);
      if (!v.ok()) return Status::Corruption("store value at " + kv.key + ": " + v.status().message());
      const lang::Value* obj = v->Find("object");
      auto node = planner::NodeInfoFromObject(obj ? *obj : *v);
      if (!node.ok()) return node.status();
      nodes->nodes.push_back(std::move(*node));
      continue;
    }
    entries.emplace_back(std::move(kv.key), std::move(kv.value));
  }
  return planner::LiveState::FromStore(range->revision, entries);
}

Result<planner::LiveState> ReadLiveState(store::Store& st, planner::ClusterSnapshot* nodes) {
  return ReadLiveStateAt(st, 0, nodes);
}

namespace {

std::string Quote(const std::string& s) { return lang::Value::String(s).ToJson(); }

// A token that tells this apply's lock from another's: process id and time.
std::string NewToken() {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "-" + std::to_string(now) + "-" + std::to_string(counter++);
}

// metadata.creationTimestamp, as the API server sets it: the time of the first
// apply, kept by later ones (the diff ignores the field, so plans never show it).
void StampCreation(lang::Value* object, const planner::LiveResource* before, const std::string& now) {
  lang::Value* meta = object->Find("metadata");
  if (!meta || !meta->is_map()) return;
  const lang::Value* prev = before ? before->object.FindPath("metadata.creationTimestamp") : nullptr;
  meta->Set("creationTimestamp", prev && prev->is_string() ? *prev : lang::Value::String(now));
}

// A plan is stale when what it was computed against changed: the resources the
// desired state manages (what LiveState holds) or the last apply's record. What
// controllers and agents write all the time (pods, status, heartbeats, events)
// does not make a plan stale.
// The live state read for the check is handed back in *live.
Status CheckNotStale(store::Store& st, const planner::Plan& plan, planner::LiveState* live) {
  auto read = ReadLiveState(st);
  if (!read.ok()) return read.status();
  *live = std::move(*read);
  const planner::LiveState* now = live;
  if (now->revision == plan.base_revision) return Status::Ok();
  auto stale = [&](const std::string& why) {
    return Status::FailedPrecondition("stale plan: it was computed against live revision " +
                                      std::to_string(plan.base_revision) + ", and since then " + why +
                                      " (the store is at revision " + std::to_string(now->revision) +
                                      "); run `gorch plan` again and apply the new plan");
  };
  if (plan.base_revision > now->revision) return stale("the store went back in time");
  // Revision 0 is an empty store (and, to Range, "the newest").
  Result<planner::LiveState> then =
      plan.base_revision == 0 ? planner::LiveState{} : ReadLiveStateAt(st, plan.base_revision, nullptr);
  if (!then.ok()) {
    if (then.status().IsCompacted()) return stale("its history was compacted");
    return then.status();
  }
  if (then->applied_hash != now->applied_hash) return stale("another apply ran");
  if (then->resources.size() != now->resources.size()) return stale("resources were added or removed");
  for (size_t i = 0; i < now->resources.size(); ++i) {
    const planner::LiveResource& a = then->resources[i];
    const planner::LiveResource& b = now->resources[i];
    if (a.id != b.id) return stale(b.id.ToString() + " appeared or went away");
    if (a.applied_hash != b.applied_hash || a.managed != b.managed || a.owner != b.owner || !(a.object == b.object))
      return stale(b.id.ToString() + " changed");
  }
  return Status::Ok();
}

}  // namespace

Result<ApplyResult> ApplyPlan(store::Store& st, const planner::Plan& plan) {
  // The last apply's record is read before the staleness check, and the first
  // transaction requires it unchanged: an apply that lands after this read is
  // either seen by the check or makes the transaction fail, never slips between.
  auto applied_kv = st.Get(planner::kAppliedKey);
  if (!applied_kv.ok()) return applied_kv.status();
  const int64_t applied_mod = *applied_kv ? (*applied_kv)->mod_revision : 0;
  planner::LiveState live;
  GORCH_RETURN_IF_ERROR(CheckNotStale(st, plan, &live));
  const std::string now = NowRfc3339();
  // Each step's operations, in plan order.
  ApplyResult result;
  std::vector<Op> ops;
  for (const planner::PlanStep& s : plan.steps) {
    const auto& c = s.change;
    std::string key = c.id.StoreKey();
    if (c.action == Action::kCreate || c.action == Action::kUpdate) {
      if (!s.object) return Status::InvalidArgument("plan step " + c.id.ToString() + " has no object to apply");
      planner::LiveResource r{c.id, c.api_version, *s.object, s.content_hash, true, 0, plan.owner};
      StampCreation(&r.object, live.Find(c.id), now);
      ops.push_back(Op::Put(key, r.ToStoreValue()));
      (c.action == Action::kCreate ? result.created : result.updated)++;
    } else if (c.action == Action::kDelete) {
      ops.push_back(Op::Delete(store::DeleteRequest::Key(key)));
      ++result.deleted;
    }
  }
  std::string token = NewToken();
  std::string lock = "{\"token\":" + Quote(token) + ",\"desiredHash\":" + Quote(plan.desired_hash) + "}";
  std::string applied = "{\"commit\":" + Quote(plan.commit) + ",\"hash\":" + Quote(plan.desired_hash) + "}";
  const size_t batch = store::kMaxTxnOps - 2;
  size_t next = 0;
  bool first = true;
  while (true) {
    store::TxnRequest txn;
    if (first) {
      // No other apply since the staleness check (see above).
      txn.compare.push_back(
          Compare::ModRevision(std::string(planner::kAppliedKey), Compare::Op::kEqual, applied_mod));
      txn.success.push_back(Op::Put(std::string(kApplyLockKey), lock));
    } else {
      txn.compare.push_back(Compare::Value(std::string(kApplyLockKey), Compare::Op::kEqual, lock));
    }
    size_t end = std::min(ops.size(), next + batch);
    for (; next < end; ++next) txn.success.push_back(std::move(ops[next]));
    bool last = next == ops.size();
    if (last) {
      txn.success.push_back(Op::Put(std::string(planner::kAppliedKey), applied));
      if (!first) txn.success.push_back(Op::Delete(store::DeleteRequest::Key(std::string(kApplyLockKey))));
      else txn.success.erase(txn.success.begin());  // one transaction: no lock needed
    }
    auto r = st.Txn(txn);
    if (!r.ok()) return r.status();
    if (!r->succeeded)
      return Status::FailedPrecondition(first ? "stale plan: the live state changed while applying began; plan again"
                                              : "another apply took over the store while this one ran; plan again");
    result.revision = r->revision;
    first = false;
    if (last) break;
  }
  return result;
}

}  // namespace gorch::engine

// The CronJob controller and its 5-field cron parser (UTC).
//
// At each scheduled time t (the newest one missed, if several were), a Job
// "<name>-<t in minutes since the epoch>" is created from spec.jobTemplate, owned by
// the CronJob. concurrencyPolicy: Allow (default), Forbid (skip t while a Job is
// active), Replace (delete the active Jobs first). successfulJobsHistoryLimit
// (default 3) and failedJobsHistoryLimit (default 1) bound the finished Jobs kept.
// spec.suspend stops new runs. Status at /gorch/status/CronJob/<ns>/<name>:
// lastScheduleTime, lastScheduleMillis, firstSeenMillis, active (Job names).
#include <algorithm>

#include "controllers/cron.h"
#include "controllers/internal.h"

namespace gorch::engine::ctrl {
namespace {

bool JobFinished(Context& ctx, const std::string& ns, const std::string& job, bool* failed) {
  const Obj* st = ctx.cache().Get(StatusKey("Job", ns, job));
  if (!st) return false;
  for (const Json& c : At(st->value, "conditions").is_array() ? At(st->value, "conditions") : Json::array()) {
    if (StringAt(c, "status") != "True") continue;
    if (StringAt(c, "type") == "Complete") return true;
    if (StringAt(c, "type") == "Failed") return *failed = true;
  }
  return false;
}

}  // namespace

SyncResult SyncCronJob(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  const Obj* cj = ctx.cache().Get(ObjectKey("CronJob", ns, name));
  if (!cj) return {};
  const Json& spec = At(cj->object(), "spec");
  Result<CronSchedule> sched = CronSchedule::Parse(StringAt(spec, "schedule"));
  if (!sched.ok()) {
    (void)ctx.Event({"CronJob", ns, name}, EventType::kWarning, "InvalidSchedule", sched.status().message());
    return {};
  }
  const int64_t now = ctx.Now();
  const Obj* prev = ctx.cache().Get(StatusKey("CronJob", ns, name));
  Json st = prev && prev->value.is_object() ? prev->value : Json::object();
  if (!st.contains("firstSeenMillis")) st["firstSeenMillis"] = now;
  const int64_t last = IntAt(st, "lastScheduleMillis", IntAt(st, "firstSeenMillis", now));

  // Jobs it owns: active, finished ok, failed (oldest first by name = by time).
  std::vector<std::pair<std::string, const Obj*>> active, succeeded, failed;
  for (auto& [k, obj] : ctx.cache().List(ObjectKey("Job", ns, name + "-"))) {
    if (!IsOwnedBy(obj->object(), "CronJob", name)) continue;
    bool f = false;
    const std::string job = k.substr(k.rfind('/') + 1);
    if (!JobFinished(ctx, ns, job, &f)) {
      active.emplace_back(k, obj);
    } else {
      (f ? failed : succeeded).emplace_back(k, obj);
    }
  }
  std::vector<Mutation> writes;
  auto prune = [&](std::vector<std::pair<std::string, const Obj*>>& jobs, int64_t keep) {
    for (size_t i = 0; static_cast<int64_t>(jobs.size() - i) > keep; ++i) {
      writes.push_back({jobs[i].first, std::nullopt, jobs[i].second->mod_revision});
    }
  };
  prune(succeeded, IntAt(spec, "successfulJobsHistoryLimit", 3));
  prune(failed, IntAt(spec, "failedJobsHistoryLimit", 1));

  std::optional<int64_t> due;  // the newest scheduled time in (last, now]
  for (int64_t t = sched->Next(last); t > 0 && t <= now; t = sched->Next(t)) due = t;
  const bool suspended = At(spec, "suspend") == Json(true);
  if (due && !suspended) {
    const std::string policy = StringAt(spec, "concurrencyPolicy");
    st["lastScheduleMillis"] = *due;
    st["lastScheduleTime"] = Rfc3339(*due);
    if (policy == "Forbid" && !active.empty()) {
      (void)ctx.Event({"CronJob", ns, name}, EventType::kNormal, "JobAlreadyActive",
                      "skipped the run at " + Rfc3339(*due) + ": a job is still active");
    } else {
      if (policy == "Replace") {
        for (auto& [k, obj] : active) writes.push_back({k, std::nullopt, obj->mod_revision});
        active.clear();
      }
      const std::string job = name + "-" + std::to_string(*due / 60'000);
      const Json& jt = At(spec, "jobTemplate");
      Json meta = At(jt, "metadata").is_object() ? At(jt, "metadata") : Json::object();
      meta["name"] = job;
      meta["namespace"] = ns;
      meta["ownerReferences"] = Json::array(
          {{{"apiVersion", "batch/v1"}, {"kind", "CronJob"}, {"name", name}, {"controller", true}}});
      Json object = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", meta}, {"spec", At(jt, "spec")}};
      const std::string jkey = ObjectKey("Job", ns, job);
      if (!ctx.cache().Get(jkey)) {
        writes.push_back({jkey, Json{{"apiVersion", "batch/v1"}, {"managed", false}, {"object", object}}, 0});
        active.emplace_back(jkey, nullptr);
        (void)ctx.Event({"CronJob", ns, name}, EventType::kNormal, "SuccessfulCreate", "created job " + job);
      }
    }
  }
  Json names = Json::array();
  for (auto& [k, obj] : active) names.push_back(k.substr(k.rfind('/') + 1));
  st["active"] = names;
  const Obj* cur = ctx.cache().Get(StatusKey("CronJob", ns, name));
  if (!cur || cur->value != st) writes.push_back({StatusKey("CronJob", ns, name), st, cur ? cur->mod_revision : 0});
  if (!writes.empty()) GORCH_RETURN_IF_ERROR(ctx.CommitOrAbort(writes));
  const int64_t next = sched->Next(std::max(now, IntAt(st, "lastScheduleMillis", now)));
  return {Status::Ok(), next > 0 ? std::optional<int64_t>(std::max<int64_t>(next - now, 1)) : std::nullopt};
}

}  // namespace gorch::engine::ctrl

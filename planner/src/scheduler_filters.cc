// The dynamic filter plugins (they depend on what is bound): NodePorts,
// NodeResourcesFit, PodTopologySpread (DoNotSchedule), PodAntiAffinity (required,
// both directions); and the texts of every filter's reasons.
#include <algorithm>

#include "scheduler_impl.h"

namespace gorch::planner::internal {

namespace {

bool WildcardIp(const std::string& ip) { return ip.empty() || ip == "0.0.0.0"; }

bool PortsClash(const HostPort& a, const HostPort& b) {
  return a.port == b.port && a.protocol == b.protocol &&
         (WildcardIp(a.host_ip) || WildcardIp(b.host_ip) || a.host_ip == b.host_ip);
}

}  // namespace

bool SchedulerImpl::PortConflict(const PodRequest& pod, uint32_t n, uint32_t* which) const {
  for (uint32_t i = 0; i < pod.host_ports.size(); ++i) {
    for (const HostPort& used : ports_[n]) {
      if (PortsClash(pod.host_ports[i], used)) {
        *which = i;
        return true;
      }
    }
  }
  return false;
}

std::vector<std::string> SchedulerImpl::ReasonTexts(const Failure& fail, const PodContext& ctx,
                                                    uint32_t n) const {
  const StringPool& strings = index_.strings();
  switch (fail.kind) {
    case FailKind::kNone: return {};
    case FailKind::kUnschedulable: return {"node unschedulable"};
    case FailKind::kNotReady: return {"node not ready"};
    case FailKind::kTaint: {
      const Taint& t = index_.node(n).taints[fail.detail];
      return {"untolerated taint " + t.key + (t.value.empty() ? "" : "=" + t.value)};
    }
    case FailKind::kNodeAffinity: return {"node affinity/selector mismatch"};
    case FailKind::kPort: {
      const HostPort& p = ctx.pod->host_ports[fail.detail];
      return {"host port " + std::to_string(p.port) + "/" + std::string(ProtocolName(p.protocol)) +
              " in use"};
    }
    case FailKind::kResources: {
      std::vector<std::string> out;
      if (fail.resources & kInsufficientCpu) out.push_back("insufficient cpu");
      if (fail.resources & kInsufficientMemory) out.push_back("insufficient memory");
      if (fail.resources & kTooManyPods) out.push_back("too many pods");
      return out;
    }
    case FailKind::kSpreadMissingKey:
      return {"missing topology label " + strings.Name(fail.detail)};
    case FailKind::kSpreadSkew:
      return {"topology spread maxSkew on " + strings.Name(fail.detail)};
    case FailKind::kPodAffinity:
      return {"pod affinity on " + strings.Name(fail.detail)};
    case FailKind::kAntiAffinity:
      return {"pod anti-affinity on " + strings.Name(fail.detail)};
    case FailKind::kExistingAntiAffinity:
      return {"anti-affinity of bound pods on " + strings.Name(fail.detail)};
  }
  return {"unknown"};
}

FilterStatus SchedulerImpl::ToFilterStatus(const Failure& fail, const PodContext& ctx,
                                           uint32_t n) const {
  FilterStatus status;
  if (fail.kind == FailKind::kNone) return status;
  status.code = FilterCode::kUnschedulable;
  switch (fail.kind) {
    case FailKind::kNone:
    case FailKind::kUnschedulable: status.plugin = FilterPlugin::kNodeUnschedulable; break;
    case FailKind::kNotReady:
    case FailKind::kTaint: status.plugin = FilterPlugin::kTaintToleration; break;
    case FailKind::kNodeAffinity: status.plugin = FilterPlugin::kNodeAffinity; break;
    case FailKind::kPort: status.plugin = FilterPlugin::kNodePorts; break;
    case FailKind::kResources: status.plugin = FilterPlugin::kNodeResourcesFit; break;
    case FailKind::kSpreadMissingKey:
    case FailKind::kSpreadSkew: status.plugin = FilterPlugin::kPodTopologySpread; break;
    case FailKind::kPodAffinity: status.plugin = FilterPlugin::kPodAffinity; break;
    case FailKind::kAntiAffinity:
    case FailKind::kExistingAntiAffinity: status.plugin = FilterPlugin::kPodAntiAffinity; break;
  }
  status.reasons = ReasonTexts(fail, ctx, n);
  return status;
}

std::string SchedulerImpl::UnschedulableMessage(
    const PodContext& ctx, const std::vector<std::pair<uint32_t, Failure>>& failures) {
  std::map<std::string, int32_t> counts = StaticReasons(ctx.shape->cls);
  for (const auto& [n, fail] : failures) {
    for (std::string& text : ReasonTexts(fail, ctx, n)) ++counts[text];
  }
  std::vector<std::pair<std::string, int32_t>> groups(counts.begin(), counts.end());
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string msg = "0/" + std::to_string(index_.node_count()) + " nodes fit";
  if (groups.empty()) return msg + ": no nodes";
  for (size_t i = 0; i < groups.size(); ++i) {
    msg += i == 0 ? ": " : ", ";
    msg += std::to_string(groups[i].second) + " " + groups[i].first;
  }
  return msg;
}

}  // namespace gorch::planner::internal

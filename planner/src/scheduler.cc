// The scheduling cycle: build the pod's context, run the filters over (a
// deterministic sample of) the nodes that pass its static filters, score the
// feasible ones, bind the best.
#include "gorch/planner/scheduler.h"

#include <algorithm>

#include "scheduler_plugins.h"

namespace gorch::planner {

std::string_view FilterPluginName(FilterPlugin plugin) {
  switch (plugin) {
    case FilterPlugin::kNodeUnschedulable: return "NodeUnschedulable";
    case FilterPlugin::kNodeAffinity: return "NodeAffinity";
    case FilterPlugin::kTaintToleration: return "TaintToleration";
    case FilterPlugin::kNodeResourcesFit: return "NodeResourcesFit";
    case FilterPlugin::kNodePorts: return "NodePorts";
    case FilterPlugin::kPodAntiAffinity: return "PodAntiAffinity";
    case FilterPlugin::kPodTopologySpread: return "PodTopologySpread";
    case FilterPlugin::kPodAffinity: return "PodAffinity";
  }
  return "?";
}

std::string_view ScorePluginName(ScorePlugin plugin) {
  switch (plugin) {
    case ScorePlugin::kNodeResourcesFit: return "NodeResourcesFit";
    case ScorePlugin::kBalancedAllocation: return "BalancedAllocation";
    case ScorePlugin::kPodTopologySpread: return "PodTopologySpread";
    case ScorePlugin::kNodeAffinity: return "NodeAffinity";
    case ScorePlugin::kInterPodAffinity: return "InterPodAffinity";
    case ScorePlugin::kTaintToleration: return "TaintToleration";
  }
  return "?";
}

std::string DescribeScore(const ScoreBreakdown& score, const ScoreWeights& weights) {
  std::string out = "total " + std::to_string(score.total);
  const char* sep = ": ";
  for (size_t p = 0; p < kScorePluginCount; ++p) {
    if (weights.weight[p] == 0) continue;
    out += sep;
    out += ScorePluginName(static_cast<ScorePlugin>(p));
    out += ' ';
    out += std::to_string(score.plugin[p]);
    out += 'x';
    out += std::to_string(weights.weight[p]);
    sep = ", ";
  }
  return out;
}

uint64_t NodeTieBreakKey(std::string_view node_name, uint64_t seed) {
  return internal::Mix64(seed ^ internal::Fnv1a(node_name));
}

namespace internal {

SchedulerImpl::SchedulerImpl(const ClusterSnapshot& snapshot, const SchedulerOptions& options)
    : options_(options), index_(snapshot) {
  const size_t count = snapshot.nodes.size();
  nodes_.resize(count);
  tie_key_.resize(count);
  ports_.resize(count);
  for (uint32_t n = 0; n < count; ++n) {
    const NodeInfo& node = snapshot.nodes[n];
    NodeState& state = nodes_[n];
    state.alloc_cpu = node.allocatable.cpu_millis;
    state.alloc_memory = node.allocatable.memory_bytes;
    state.alloc_pods = node.allocatable_pods;
    state.inv_cpu = state.alloc_cpu > 0 ? 1.0 / static_cast<double>(state.alloc_cpu) : 0.0;
    state.inv_memory = state.alloc_memory > 0 ? 1.0 / static_cast<double>(state.alloc_memory) : 0.0;
    tie_key_[n] = NodeTieBreakKey(node.name, options.tie_break_seed);
  }
  for (uint32_t n = 0; n < count; ++n) {
    for (const PodRequest& pod : snapshot.nodes[n].pods) BindExisting(pod, n);
  }
}

size_t SchedulerImpl::FeasibleNodesToFind() const {
  // kube-scheduler's numFeasibleNodesToFind.
  constexpr size_t kMinFeasible = 100;
  const size_t all = index_.node_count();
  const int64_t pct = options_.percentage_of_nodes_to_score;
  if (all < kMinFeasible || pct >= 100) return all;
  const int64_t adaptive =
      pct > 0 ? pct : std::max<int64_t>(5, 50 - static_cast<int64_t>(all) / 125);
  return std::max(kMinFeasible, all * static_cast<size_t>(adaptive) / 100);
}

Result<Placement> SchedulerImpl::ScheduleOne(const PodRequest& pod) {
  GORCH_RETURN_IF_ERROR(ValidatePod(pod));
  Placement placement;
  placement.pod_index = pods_seen_++;
  BuildContext(pod, &ctx_);
  const std::vector<uint32_t>& eligible = ctx_.shape->cls->eligible;
  const size_t want = FeasibleNodesToFind();
  const size_t m = eligible.size();
  const size_t start = m == 0 ? 0 : next_start_ % m;
  candidates_.clear();
  failures_.clear();
  ScoreBounds bounds;
  const StaticClass& cls = *ctx_.shape->cls;
  size_t processed = 0;
  for (; processed < m && candidates_.size() < want; ++processed) {
    size_t pos = start + processed;
    if (pos >= m) pos -= m;
    const uint32_t n = eligible[pos];
    Failure fail;
    if (Fits(ctx_, n, &fail)) {
      Candidate& c = candidates_.emplace_back();
      c.node = n;
      c.position = static_cast<uint32_t>(pos);
      Prescore(ctx_, &c);
      bounds.Extend(c, cls);
    } else {
      failures_.emplace_back(n, fail);
    }
  }
  next_start_ = start + processed;
  placement.nodes_evaluated = static_cast<int32_t>(processed);
  placement.nodes_feasible = static_cast<int32_t>(candidates_.size());
  if (candidates_.empty()) {
    placement.message = UnschedulableMessage(ctx_, failures_);
    return placement;
  }
  bounds.Finish();
  const size_t best = PickBest(ctx_, candidates_, bounds);
  placement.score = Score(ctx_, candidates_[best], bounds);
  const uint32_t n = candidates_[best].node;
  placement.node_index = static_cast<int32_t>(n);
  placement.node = index_.node(n).name;
  Bind(ctx_, n);
  return placement;
}

Result<std::vector<NodeEvaluation>> SchedulerImpl::Evaluate(const PodRequest& pod) {
  GORCH_RETURN_IF_ERROR(ValidatePod(pod));
  BuildContext(pod, &ctx_);
  const StaticClass& cls = *ctx_.shape->cls;
  std::vector<NodeEvaluation> out(index_.node_count());
  for (uint32_t n = 0; n < out.size(); ++n) {
    out[n].node_index = static_cast<int32_t>(n);
    out[n].filter = ToFilterStatus(cls.static_failure[n], ctx_, n);
  }
  std::vector<Candidate> cands;
  ScoreBounds bounds;
  for (uint32_t pos = 0; pos < cls.eligible.size(); ++pos) {
    const uint32_t n = cls.eligible[pos];
    Failure fail;
    if (!Fits(ctx_, n, &fail)) {
      out[n].filter = ToFilterStatus(fail, ctx_, n);
      continue;
    }
    Candidate& c = cands.emplace_back();
    c.node = n;
    c.position = pos;
    Prescore(ctx_, &c);
    bounds.Extend(c, cls);
  }
  bounds.Finish();
  for (const Candidate& c : cands) out[c.node].score = Score(ctx_, c, bounds);
  return out;
}

}  // namespace internal

Scheduler::Scheduler(std::unique_ptr<internal::SchedulerImpl> impl) : impl_(std::move(impl)) {}
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::~Scheduler() = default;

Result<Scheduler> Scheduler::Create(const ClusterSnapshot& snapshot,
                                    const SchedulerOptions& options) {
  GORCH_RETURN_IF_ERROR(ValidateSnapshot(snapshot));
  if (options.percentage_of_nodes_to_score < 0 || options.percentage_of_nodes_to_score > 100) {
    return Status::InvalidArgument("percentage_of_nodes_to_score outside 0..100");
  }
  for (int32_t w : options.weights.weight) {
    if (w < 0 || w > 1000) return Status::InvalidArgument("score weight outside 0..1000");
  }
  return Scheduler(std::make_unique<internal::SchedulerImpl>(snapshot, options));
}

Result<Placement> Scheduler::ScheduleOne(const PodRequest& pod) { return impl_->ScheduleOne(pod); }

Result<std::vector<NodeEvaluation>> Scheduler::Evaluate(const PodRequest& pod) {
  return impl_->Evaluate(pod);
}

ResourceList Scheduler::Requested(size_t node_index) const { return impl_->Requested(node_index); }
int64_t Scheduler::PodCount(size_t node_index) const { return impl_->PodCount(node_index); }
size_t Scheduler::node_count() const { return impl_->node_count(); }

Result<std::vector<Placement>> Schedule(const ClusterSnapshot& snapshot,
                                        const std::vector<PodRequest>& pods,
                                        const SchedulerOptions& options) {
  Result<Scheduler> scheduler = Scheduler::Create(snapshot, options);
  if (!scheduler.ok()) return scheduler.status();
  std::vector<Placement> out;
  out.reserve(pods.size());
  for (const PodRequest& pod : pods) {
    Result<Placement> placement = scheduler->ScheduleOne(pod);
    if (!placement.ok()) return placement.status();
    out.push_back(std::move(placement).value());
  }
  return out;
}

}  // namespace gorch::planner

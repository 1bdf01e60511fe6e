// Plan renderers: Terraform-like text, and Markdown for a pull-request comment.
#include "gorch/planner/plan.h"

namespace gorch::planner {

namespace {

struct Palette {
  const char* add = "";
  const char* change = "";
  const char* remove = "";
  const char* dim = "";
  const char* bold = "";
  const char* reset = "";
};

Palette Colours(bool on) {
  if (!on) return {};
  return {"\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
}

std::string Ident(const compiler::ResourceId& id) {
  return id.kind + " " + (id.namespace_.empty() ? "" : id.namespace_ + "/") + id.name;
}

// A value as one line: scalars as JSON, long values cut with an ellipsis.
std::string Short(const lang::Value& v) {
  std::string s = v.ToJson();
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

std::string FieldLine(const FieldChange& f, const Palette& c) {
  if (f.before && f.after)
    return std::string(c.change) + "~ " + f.path + ": " + Short(*f.before) + " → " + Short(*f.after) + c.reset;
  if (f.after) return std::string(c.add) + "+ " + f.path + ": " + Short(*f.after) + c.reset;
  return std::string(c.remove) + "- " + f.path + ": " + Short(*f.before) + c.reset;
}

const char* Sign(Action a) {
  switch (a) {
    case Action::kCreate: return "+";
    case Action::kUpdate: return "~";
    case Action::kDelete: return "-";
    case Action::kOrphan: return "!";
    case Action::kNoOp: return " ";
  }
  return " ";
}

const char* Verb(Action a) {
  switch (a) {
    case Action::kCreate: return "will be created";
    case Action::kUpdate: return "will be updated in place";
    case Action::kDelete: return "will be deleted (it left git and gorch created it)";
    case Action::kOrphan: return "is not in git and was not created by gorch: left alone";
    case Action::kNoOp: return "is unchanged";
  }
  return "";
}

std::string SummaryLine(const Plan& plan) {
  const PlanSummary& s = plan.summary;
  std::string out = std::to_string(s.create) + " to create, " + std::to_string(s.update) + " to change, " +
                    std::to_string(s.remove) + " to delete, " + std::to_string(s.no_op) + " unchanged";
  if (s.orphan) out += ", " + std::to_string(s.orphan) + " not managed by gorch";
  if (s.pods_placed || s.pods_unschedulable)
    out += "; " + std::to_string(s.pods_placed) + " pods placed, " + std::to_string(s.pods_unschedulable) +
           " unschedulable";
  return out;
}

void PodLines(const PlanStep& s, const std::string& indent, const Palette& c, std::string& out) {
  for (const PodPlacement& p : s.placements) {
    // The full score breakdown is in the JSON plan; text shows the total.
    std::string reason = p.reason.substr(0, p.reason.find(':'));
    if (!p.scheduled() && p.reason.empty())  // planned without nodes: nothing to place on
      out += indent + "pod " + p.pod + "\n";
    else if (p.scheduled())
      out += indent + "pod " + p.pod + " → " + p.node + std::string(c.dim) + "  (" + reason + ")" + c.reset + "\n";
    else
      out += indent + std::string(c.remove) + "pod " + p.pod + " unschedulable: " + p.reason + c.reset + "\n";
  }
  if (!s.waves.empty()) {
    out += indent + "rollout" + (s.strategy.empty() ? "" : " " + s.strategy) + ":\n";
    std::string lines = DescribeWaves(s.waves);
    size_t start = 0, wave = 0;
    while (start < lines.size()) {
      size_t nl = lines.find('\n', start);
      if (nl == std::string::npos) nl = lines.size();
      out += indent + "  wave " + std::to_string(++wave) + ": " + lines.substr(start, nl - start) + "\n";
      start = nl + 1;
    }
  }
}

}  // namespace

std::string RenderText(const Plan& plan, bool colour) {
  Palette c = Colours(colour);
  std::string out;
  if (!plan.HasChanges() && plan.summary.orphan == 0) {
    out += "No changes. The live state (revision " + std::to_string(plan.base_revision) +
           ") matches the desired state.\n";
    return out;
  }
  out += "gorch will perform the following actions (against live revision " + std::to_string(plan.base_revision);
  if (!plan.commit.empty()) out += ", commit " + plan.commit.substr(0, 12);
  out += "):\n\n";
  for (const PlanStep& s : plan.steps) {
    const ResourceChange& ch = s.change;
    const char* col = ch.action == Action::kCreate   ? c.add
                      : ch.action == Action::kUpdate ? c.change
                      : ch.action == Action::kDelete ? c.remove
                                                     : c.dim;
    out += std::string(c.dim) + "  # " + Ident(ch.id) + " " + Verb(ch.action);
    if (ch.pos.known()) out += "  (" + ch.pos.ToString() + ")";
    out += std::string(c.reset) + "\n";
    out += std::string("  ") + col + Sign(ch.action) + " " + c.bold + Ident(ch.id) + c.reset + "\n";
    for (const FieldChange& f : ch.fields) out += "      " + FieldLine(f, c) + "\n";
    PodLines(s, "      ", c, out);
    out += "\n";
  }
  out += std::string(c.bold) + "Plan: " + SummaryLine(plan) + "." + c.reset + "\n";
  return out;
}

std::string RenderMarkdown(const Plan& plan) {
  std::string out = "### gorch plan: " + SummaryLine(plan) + "\n\n";
  if (!plan.commit.empty()) out += "Commit `" + plan.commit.substr(0, 12) + "`, ";
  out += "live revision " + std::to_string(plan.base_revision) + ".\n\n";
  if (plan.steps.empty()) return out + "No changes.\n";
  out += "| | resource | action | source |\n|---|---|---|---|\n";
  for (const PlanStep& s : plan.steps) {
    const ResourceChange& ch = s.change;
    out += std::string("| `") + Sign(ch.action) + "` | " + Ident(ch.id) + " | " + std::string(ActionName(ch.action)) +
           " | " + (ch.pos.known() ? "`" + ch.pos.ToString() + "`" : "") + " |\n";
  }
  out += "\n";
  Palette none;
  for (const PlanStep& s : plan.steps) {
    if (s.change.fields.empty() && s.placements.empty() && s.waves.empty()) continue;
    out += "<details><summary>" + std::string(Sign(s.change.action)) + " " + Ident(s.change.id) + "</summary>\n\n```diff\n";
    for (const FieldChange& f : s.change.fields) {
      std::string line = FieldLine(f, none);
      if (line[0] == '~') line[0] = '!';  // diff syntax: '!' shows as changed
      out += line + "\n";
    }
    PodLines(s, "  ", none, out);
    out += "```\n</details>\n\n";
  }
  return out;
}

}  // namespace gorch::planner

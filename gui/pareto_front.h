#pragma once
// The Pareto front of compressed models: the ones no other model beats on size,
// speed and perplexity at once. No Qt: plain numbers in, flags out.
#include <cmath>
#include <limits>
#include <vector>

namespace pareto::gui {

struct ParetoPoint {
    double size_bytes = 0;                                    // smaller is better
    double tokens_per_s = 0;                                  // larger is better; 0: not measured
    double ppl = std::numeric_limits<double>::quiet_NaN();   // smaller is better; NaN: not measured
};

// True when `a` is at least as good as `b` in every objective and better in one.
// An unmeasured speed counts as the slowest, an unmeasured perplexity as the worst.
bool dominates(const ParetoPoint& a, const ParetoPoint& b);

// One flag per point: true when no other point dominates it. Equal points are all
// on the front. O(n^2): runs number in the hundreds at most.
std::vector<bool> pareto_front(const std::vector<ParetoPoint>& points);

}  // namespace pareto::gui

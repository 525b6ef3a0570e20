#include "gui/pareto_front.h"

namespace pareto::gui {
namespace {

double ppl_key(double ppl) { return std::isnan(ppl) ? std::numeric_limits<double>::infinity() : ppl; }

}  // namespace

bool dominates(const ParetoPoint& a, const ParetoPoint& b) {
    const double ap = ppl_key(a.ppl), bp = ppl_key(b.ppl);
    const bool no_worse = a.size_bytes <= b.size_bytes && a.tokens_per_s >= b.tokens_per_s && ap <= bp;
    const bool better = a.size_bytes < b.size_bytes || a.tokens_per_s > b.tokens_per_s || ap < bp;
    return no_worse && better;
}

std::vector<bool> pareto_front(const std::vector<ParetoPoint>& points) {
    std::vector<bool> front(points.size(), true);
    for (size_t i = 0; i < points.size(); ++i)
        for (size_t j = 0; j < points.size() && front[i]; ++j)
            if (j != i && dominates(points[j], points[i])) front[i] = false;
    return front;
}

}  // namespace pareto::gui

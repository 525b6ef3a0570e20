// Fuzz target: compression-plan JSON. A plan that parses must survive a round trip
// (plan_to_json, then parse_plan again, gives the same JSON) and is resolved against
// a small synthetic model, which compiles its tensor patterns and checks its rules.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compress/plan.h"
#include "format/gguf.h"
#include "fuzz_support.h"
#include "model/config.h"
#include "model/synth.h"
#include "model/tensor_set.h"
#include "util/error.h"

namespace {

struct TinyModel {
    std::shared_ptr<std::vector<uint8_t>> bytes;
    std::unique_ptr<pareto::GgufFile> file;
    pareto::ModelConfig config;
    pareto::TensorSet tensors;
};

const TinyModel& tiny_model() {
    static const TinyModel m = [] {
        pareto::SynthOptions o;
        o.preset = "tiny";
        o.type = "F16";
        o.n_layer = 2;
        o.n_threads = 1;
        pareto::ModelSynthesizer synth(o);
        TinyModel t;
        t.bytes = std::make_shared<std::vector<uint8_t>>(synth.serialize());
        t.file = std::make_unique<pareto::GgufFile>(pareto::GgufFile::parse(std::span<const uint8_t>(*t.bytes), "tiny.gguf"));
        t.config = pareto::read_config(*t.file);
        t.tensors = pareto::TensorSet::from_gguf(*t.file, t.bytes);
        return t;
    }();
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    const TinyModel& model = tiny_model();
    try {
        const CompressionPlan plan = parse_plan(fuzz::as_text(data, size), "fuzz.json");
        const std::string json = plan_to_json(plan);
        if (plan_to_json(parse_plan(json, "round-trip.json")) != json) __builtin_trap();
        const PlanResolution r = resolve_plan(plan, model.tensors, model.config);
        size_t sink = r.tensors.size() + r.warnings.size();
        fuzz::keep(sink);
    } catch (const Error&) {
    }
    return 0;
}

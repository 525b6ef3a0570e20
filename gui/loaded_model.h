#pragma once
// A model ready to run, as handed from the Model page to whoever runs it (the
// Playground's generators, the kiosk; later the compressor and profiler). Shared and
// immutable: a generator keeps the model alive while its session uses it, however
// the Model page moves on. A compressed model (issue 6) is another LoadedModel.
#include <QString>

#include <cstdint>
#include <memory>

namespace pareto {
class Model;
}

namespace pareto::gui {

struct LoadedModel {
    std::shared_ptr<const Model> model;
    QString path;
    QString name;        // what to call it: general.name, else the file name
    int64_t n_ctx = 0;   // the context sessions over it get (chosen on the Model page)
};

using LoadedModelPtr = std::shared_ptr<const LoadedModel>;

}  // namespace pareto::gui

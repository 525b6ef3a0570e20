#pragma once
// Shared by the Qt tests of the workbench: the fixtures (as for the GoogleTest
// suites: PARETO_TEST_DATA or ../shared; a missing fixture skips, or fails under
// CI=true) and a synthesized model for tests that need no fixture.
#include <QString>
#include <QTemporaryDir>
#include <QtTest>

#include "model/synth.h"
#include "support/test_data.h"

#define PARETO_QREQUIRE_DATA(var, relative)                                                                  \
    const QString var = QString::fromStdString(::pareto::test::find_data(relative));                       \
    if (var.isEmpty()) {                                                                                    \
        const QByteArray why = QByteArray("missing test data ") + (relative) + " under " +                 \
                               QByteArray::fromStdString(::pareto::test::data_dir());                      \
        if (::pareto::test::running_in_ci()) QFAIL(why + " (CI=true requires it)");                        \
        QSKIP(why + " (set PARETO_TEST_DATA)");                                                              \
    }

namespace pareto::test {

// Writes the "tiny" synth preset (2 layers, byte-level BPE) as `type` into `dir`.
inline QString write_tiny_model(const QTemporaryDir& dir, const char* type = "Q8_0", const char* preset = "tiny") {
    SynthOptions o;
    o.preset = preset;
    o.type = type;
    o.n_threads = 1;
    const QString path = dir.filePath(QStringLiteral("%1-%2.gguf").arg(preset, type));
    ModelSynthesizer(o).write(path.toStdString());
    return path;
}

}  // namespace pareto::test

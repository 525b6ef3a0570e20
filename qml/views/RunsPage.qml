import QtQuick
import Pareto.Bridge
import Pareto.Theme

// Runs: the runs stored in HDF5 trace files, compared. Waits for the trace store.
ComingSoonPage {
    required property Workbench workbench
    objectName: "runsPage"
    icon: "runs"
    title: qsTr("Runs")
    arrives: qsTr("the HDF5 trace store of the profiler")
    features: [
        qsTr("Every run of the open trace files with its configuration: model, compression plan, threads, machine."),
        qsTr("Two runs compared: per-op and per-layer deltas and ratios."),
        qsTr("Size against perplexity against tokens per second across runs, with the Pareto front highlighted."),
    ]
}

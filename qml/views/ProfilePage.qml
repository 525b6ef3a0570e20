import QtQuick
import Pareto.Bridge
import Pareto.Theme

// Profile: where the time and memory of a run go. Waits for the profiler.
ComingSoonPage {
    required property Workbench workbench
    objectName: "profilePage"
    icon: "profile"
    title: qsTr("Profile")
    arrives: qsTr("the profiler and its HDF5 traces")
    features: [
        qsTr("A timeline of tokens with their ops, and a flame view of one token, smooth with 100 000 op events; zoom, pan and tooltips."),
        qsTr("Time per op kind and per layer as bars."),
        qsTr("A memory breakdown: weights by type, KV cache, scratch and peak RSS."),
        qsTr("The accuracy panel: perplexity and agreement with the baseline."),
    ]
    meanwhile: qsTr("Meanwhile, the Playground measures time to first token and tokens per second live, and <font face='DejaVu Sans Mono'>pareto-cli bench</font> measures prompt and decode speed.")
}

import QtQuick
import Pareto.Bridge
import Pareto.Theme

// Compress: per-layer quantization and pruning. Waits for the compression engine.
ComingSoonPage {
    required property Workbench workbench
    objectName: "compressPage"
    icon: "compress"
    title: qsTr("Compress")
    arrives: qsTr("the compression engine (quantization, pruning, GPTQ and evaluation)")
    features: [
        qsTr("A layers × tensor-kinds grid of quantization types: click or drag to set, or start from a preset."),
        qsTr("Pruning: magnitude, Wanda or SparseGPT, unstructured or 2:4, with the sparsity per layer."),
        qsTr("A live size estimate while you edit; Apply runs in the background with progress and Cancel."),
        qsTr("A sensitivity scan that colours the grid as a heat map of where bits matter."),
        qsTr("The result against the baseline: size, perplexity and KL divergence; export as GGUF."),
    ]
    meanwhile: qsTr("Meanwhile, the Model page shows the types and bytes of every tensor of the open model, and <font face='DejaVu Sans Mono'>pareto-cli synth --type</font> writes models of any supported type.")
}

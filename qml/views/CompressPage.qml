import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// Compress: the loaded model's matrices as a grid of target types (from a preset or
// by hand) with a live size estimate, pruning of the decoder blocks, a calibration
// text; Apply compresses in the background and compares the result with the loaded
// model (size, perplexity, KL divergence); Export writes it as GGUF.
Item {
    id: root
    required property Workbench workbench
    readonly property CompressController cc: workbench.compressor
    readonly property CompressGridModel grid: cc.grid
    objectName: "compressPage"

    FileDialog {
        id: textDialog
        title: qsTr("Calibration and evaluation text")
        nameFilters: [qsTr("Text files (*.txt)"), qsTr("All files (*)")]
        onAccepted: root.cc.calibrationPath = selectedFile.toString()
    }
    FileDialog {
        id: exportDialog
        title: qsTr("Export the compressed model")
        fileMode: FileDialog.SaveFile
        defaultSuffix: "gguf"
        nameFilters: [qsTr("GGUF models (*.gguf)")]
        onAccepted: root.cc.exportTo(selectedFile.toString())
    }

    Flickable {
        id: flick
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight + 40
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: column
            x: 24
            y: 20
            width: flick.width - 48
            spacing: Theme.gap

            RowLayout {  // title, model, preset, size
                Layout.fillWidth: true
                spacing: 12
                Text { text: qsTr("Compress"); color: Theme.text; font.pixelSize: 22; font.weight: Font.DemiBold }
                Chip {
                    visible: root.cc.hasModel
                    text: root.cc.modelName
                    icon: "model"
                    tint: Theme.accent
                }
                Item { Layout.fillWidth: true }
                Text {
                    visible: root.cc.hasModel
                    text: qsTr("Preset")
                    color: Theme.textDim
                    font.pixelSize: Theme.fontSm
                }
                ComboBox {
                    objectName: "presetBox"
                    visible: root.cc.hasModel
                    enabled: !root.cc.busy
                    model: root.grid.presetNames
                    displayText: root.grid.preset || qsTr("custom")
                    currentIndex: root.grid.presetNames.indexOf(root.grid.preset)
                    onActivated: (i) => root.grid.applyPreset(root.grid.presetNames[i])
                    Layout.preferredWidth: 170
                }
            }

            Banner {
                Layout.fillWidth: true
                text: root.cc.error
                onClosed: root.cc.clearError()
            }

            EmptyState {
                Layout.fillWidth: true
                Layout.preferredHeight: 280
                visible: !root.cc.hasModel
                icon: "compress"
                title: qsTr("Nothing to compress yet")
                text: qsTr("Load a model on the Model page: its matrices appear here as a grid of quantization types, with pruning, a size estimate, and Apply to compress and compare it with the original.")
                actionText: qsTr("Go to the Model page")
                onAction: root.workbench.page = "model"
            }

            RowLayout {  // size estimate
                objectName: "sizeEstimate"
                visible: root.cc.hasModel
                Layout.fillWidth: true
                spacing: 18
                StatTile {
                    label: qsTr("Now")
                    value: Fmt.bytes(root.grid.currentBytes)
                    Layout.fillWidth: true
                }
                StatTile {
                    label: qsTr("Estimated")
                    value: Fmt.bytes(root.grid.estimatedBytes)
                    Layout.fillWidth: true
                }
                StatTile {
                    label: qsTr("Ratio")
                    value: root.grid.currentBytes > 0 ? (100 * root.grid.estimatedBytes / root.grid.currentBytes).toFixed(1) + " %" : "–"
                    Layout.fillWidth: true
                }
            }

            RowLayout {
                visible: root.cc.hasModel
                Layout.fillWidth: true
                spacing: Theme.gap

                CompressGridCard {
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                    grid: root.grid
                    scanType: root.cc.scanType
                }

                ColumnLayout {
                    Layout.preferredWidth: 360
                    Layout.alignment: Qt.AlignTop
                    spacing: Theme.gap

                    Card {
                        objectName: "pruneCard"
                        Layout.fillWidth: true
                        title: qsTr("Pruning")
                        subtitle: qsTr("every matrix of the decoder blocks")
                        ColumnLayout {
                            width: parent.width
                            spacing: 8
                            ComboBox {
                                objectName: "pruneMethodBox"
                                Layout.fillWidth: true
                                enabled: !root.cc.busy
                                model: root.cc.pruneMethods
                                currentIndex: root.cc.pruneMethods.indexOf(root.cc.pruneMethod)
                                onActivated: (i) => root.cc.pruneMethod = root.cc.pruneMethods[i]
                            }
                            CheckBox {
                                text: qsTr("2:4 (two of every four weights kept)")
                                enabled: root.cc.pruneMethod !== "none" && !root.cc.busy
                                checked: root.cc.twoFour
                                onToggled: root.cc.twoFour = checked
                            }
                            LabeledSlider {
                                Layout.fillWidth: true
                                label: qsTr("Sparsity")
                                enabled: root.cc.pruneMethod !== "none" && !root.cc.twoFour && !root.cc.busy
                                from: 0.05; to: 0.9; stepSize: 0.05
                                value: root.cc.sparsity
                                onMoved: (v) => root.cc.sparsity = v
                            }
                        }
                    }

                    Card {
                        objectName: "calibrationCard"
                        Layout.fillWidth: true
                        title: qsTr("Calibration and evaluation text")
                        ColumnLayout {
                            width: parent.width
                            spacing: 8
                            RowLayout {
                                Layout.fillWidth: true
                                Text {
                                    objectName: "calibrationPath"
                                    Layout.fillWidth: true
                                    text: root.cc.calibrationPath || qsTr("none: no evaluation, no Wanda or SparseGPT")
                                    color: root.cc.calibrationPath ? Theme.text : Theme.textFaint
                                    font.pixelSize: Theme.fontSm
                                    elide: Text.ElideMiddle
                                }
                                Button {
                                    text: qsTr("Choose…")
                                    flat: true
                                    enabled: !root.cc.busy
                                    onClicked: textDialog.open()
                                }
                            }
                            Button {
                                objectName: "scanButton"
                                Layout.fillWidth: true
                                text: qsTr("Sensitivity scan (each group alone in %1)").arg(root.cc.scanType)
                                flat: true
                                enabled: root.cc.canScan
                                onClicked: root.cc.scanSensitivity()
                            }
                            RowLayout {
                                Text { text: qsTr("Evaluation chunks"); color: Theme.textDim; font.pixelSize: Theme.fontSm; Layout.fillWidth: true }
                                SpinBox {
                                    from: 1; to: 64
                                    value: root.cc.evalChunks
                                    enabled: !root.cc.busy
                                    onValueModified: root.cc.evalChunks = value
                                }
                            }
                        }
                    }

                    RowLayout {
                        Layout.fillWidth: true
                        Button {
                            objectName: "applyButton"
                            text: qsTr("Apply")
                            highlighted: true
                            enabled: root.cc.canApply
                            onClicked: root.cc.apply()
                            Layout.fillWidth: true
                        }
                        Button {
                            text: qsTr("Cancel")
                            visible: root.cc.busy
                            onClicked: root.cc.cancel()
                        }
                    }
                    ProgressBar {
                        Layout.fillWidth: true
                        visible: root.cc.busy
                        indeterminate: root.cc.progress < 0
                        value: Math.max(0, root.cc.progress)
                    }
                    Text {
                        Layout.fillWidth: true
                        visible: root.cc.busy || root.cc.stage === qsTr("Cancelled")
                        text: root.cc.stage
                        color: Theme.textDim
                        font.pixelSize: Theme.fontSm
                        elide: Text.ElideRight
                    }

                    Card {
                        objectName: "resultCard"
                        Layout.fillWidth: true
                        visible: root.cc.hasResult
                        title: qsTr("Result")
                        subtitle: root.cc.resultPlan
                        GridLayout {
                            width: parent.width
                            columns: 2
                            columnSpacing: 12
                            rowSpacing: 6
                            Text { text: qsTr("Size"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
                            Text {
                                objectName: "resultSize"
                                text: Fmt.bytes(root.cc.baseBytes) + " → " + Fmt.bytes(root.cc.resultBytes)
                                      + (root.cc.baseBytes > 0 ? "  (" + (100 * root.cc.resultBytes / root.cc.baseBytes).toFixed(1) + " %)" : "")
                                color: Theme.text; font.pixelSize: Theme.fontSm
                            }
                            Text { visible: root.cc.evaluated; text: qsTr("Perplexity"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
                            Text {
                                objectName: "resultPpl"
                                visible: root.cc.evaluated
                                text: root.cc.basePpl.toFixed(3) + " → " + root.cc.resultPpl.toFixed(3)
                                color: Theme.text; font.pixelSize: Theme.fontSm
                            }
                            Text { visible: root.cc.evaluated; text: qsTr("KL divergence"); color: Theme.textDim; font.pixelSize: Theme.fontSm }
                            Text {
                                objectName: "resultKl"
                                visible: root.cc.evaluated
                                text: root.cc.klMean.toPrecision(3) + qsTr(" nats · same top token %1 %").arg((100 * root.cc.sameTopRate).toFixed(1))
                                color: Theme.text; font.pixelSize: Theme.fontSm
                            }
                            Text {
                                visible: !root.cc.evaluated
                                Layout.columnSpan: 2
                                Layout.fillWidth: true
                                wrapMode: Text.Wrap
                                text: qsTr("Choose a text to see perplexity and KL divergence against the loaded model.")
                                color: Theme.textFaint; font.pixelSize: Theme.fontSm
                            }
                            Button {
                                objectName: "exportButton"
                                Layout.columnSpan: 2
                                text: qsTr("Export GGUF…")
                                enabled: !root.cc.busy
                                onClicked: exportDialog.open()
                            }
                        }
                    }
                }
            }
        }
    }
}

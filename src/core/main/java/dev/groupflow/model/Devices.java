package dev.groupflow.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code model.device}: {@code auto | cpu | gpu | gpu:N}. */
public final class Devices {
    private static final Pattern GPU = Pattern.compile("gpu(?::(\\d+))?");

    private Devices() {
    }

    /** Whether the text is a device spec this class accepts (without touching the engine). */
    public static boolean valid(String spec) {
        return spec.equals("auto") || spec.equals("cpu") || GPU.matcher(spec).matches();
    }

    /** The device for a spec; {@code auto} is gpu:0 when the engine sees a GPU, else the CPU. */
    public static Device resolve(String spec) {
        if (spec.equals("cpu")) {
            return Device.cpu();
        }
        int gpus = Engine.getInstance().getGpuCount();
        if (spec.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        Matcher m = GPU.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("model.device: '" + spec + "' is not one of auto, cpu, gpu:N");
        }
        int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        if (index >= gpus) {
            throw new IllegalArgumentException("model.device: " + spec + " requested but the PyTorch engine sees "
                    + gpus + " GPU(s); is the CUDA native jar on the classpath? (docs/gpu.md)");
        }
        return Device.gpu(index);
    }
}

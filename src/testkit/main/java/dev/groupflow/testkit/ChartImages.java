package dev.groupflow.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;

/** Checks on chart files: a PNG that decodes, of the chart size, with something drawn in it. */
public final class ChartImages {
    private ChartImages() {
    }

    /**
     * Decodes the PNG and checks it is a full chart of the given size ({@code Plot.WIDTH} × {@code Plot.HEIGHT}),
     * not a blank or single-colour image.
     */
    public static BufferedImage assertDrawn(Path png, int width, int height) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " exists");
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " decodes as an image");
        assertEquals(width, image.getWidth(), png.toString());
        assertEquals(height, image.getHeight(), png.toString());
        assertTrue(distinctColours(image) > 50, png + ": " + distinctColours(image) + " colours");
        assertTrue(coloured(image) > 200, png + ": " + coloured(image) + " coloured pixels (lines drawn)");
        return image;
    }

    /** Distinct RGB values (anti-aliased text and lines give many; a blank image has one). */
    public static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        return colours.size();
    }

    /** Pixels that are clearly not grey (text, axes and grid are grey; the series are coloured). */
    public static int coloured(BufferedImage image) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                n += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60 ? 1 : 0;
            }
        }
        return n;
    }
}

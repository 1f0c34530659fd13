import { stableId } from '@shopgraph/common';

/**
 * The demo shop's catalog. Each id derives from `product:<sku>` (stableId), so the other
 * subgraphs' demo data refers to a product by its SKU without importing this file.
 */

export interface DemoProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  /** Units on hand, reserved ones included. */
  onHand: number;
}

const product = (sku: string, name: string, description: string, amount: number, onHand: number): DemoProduct => ({
  id: stableId(`product:${sku}`),
  sku,
  name,
  description,
  price: { amount, currency: 'EUR' },
  onHand,
});

export const demoProducts: DemoProduct[] = [
  product('MUG-BLUE', 'Enamel camping mug', 'Blue enamel steel mug, 350 ml, dishwasher safe.', 1490, 120),
  product('TEE-ORG-M', 'Organic cotton tee', 'Heavyweight organic cotton t-shirt, size M.', 2900, 80),
  product('TEE-ORG-L', 'Organic cotton tee (L)', 'Heavyweight organic cotton t-shirt, size L.', 2900, 60),
  product('HOODIE-GRY', 'Grey hoodie', 'Brushed fleece hoodie with a kangaroo pocket.', 5900, 40),
  product('CAP-BLK', 'Black cap', 'Six-panel cotton twill cap, adjustable strap.', 2200, 75),
  product('BOTTLE-1L', 'Steel water bottle', 'Insulated stainless steel bottle, 1 litre, keeps drinks cold 24 h.', 3400, 90),
  product('NOTE-A5', 'A5 dotted notebook', 'Lay-flat notebook, 160 pages of 100 gsm dotted paper.', 1600, 200),
  product('PEN-FNT', 'Fountain pen', 'Steel nib fountain pen with a converter, medium point.', 4500, 35),
  product('LAMP-DSK', 'Desk lamp', 'Dimmable LED desk lamp with a warm white light.', 6900, 25),
  product('CHAIR-OAK', 'Oak chair', 'Solid oak dining chair, oiled finish.', 18900, 12),
  product('KETTLE-GN', 'Gooseneck kettle', 'Pour-over kettle with a thermometer, 0.9 litre.', 7900, 30),
  product('BEANS-ETH', 'Ethiopian coffee beans', 'Washed Yirgacheffe, light roast, 250 g.', 1450, 150),
  product('GRINDER-HND', 'Hand coffee grinder', 'Conical burr hand grinder with 40 settings.', 8900, 20),
  product('BAG-TOTE', 'Canvas tote bag', 'Heavy canvas tote with an inner pocket.', 1900, 110),
  product('SOCKS-WOOL', 'Merino socks', 'Merino wool hiking socks, pair.', 1800, 140),
  product('BLANKET-WL', 'Wool blanket', 'Woven wool throw, 130 x 170 cm.', 9900, 18),
  product('PLANT-POT', 'Ceramic plant pot', 'Glazed ceramic pot with a drainage saucer, 15 cm.', 2500, 65),
  product('CANDLE-CED', 'Cedar candle', 'Soy wax candle with cedar and vetiver, 40 hours.', 2100, 95),
  product('HEADPH-WL', 'Wireless headphones', 'Over-ear wireless headphones with noise cancelling.', 19900, 15),
  product('CABLE-USBC', 'USB-C cable', 'Braided USB-C to USB-C cable, 2 m, 100 W.', 1200, 300),
  product('BACKPACK-20', 'Daypack 20 l', 'Water-resistant daypack with a laptop sleeve.', 8500, 28),
  product('UMBRELLA-CM', 'Compact umbrella', 'Wind-resistant compact umbrella.', 2700, 70),
  product('GLOVES-LTH', 'Leather gloves', 'Lined leather gloves, size M.', 4900, 22),
  product('HOURGLASS', 'Hourglass timer', 'Glass and walnut hourglass, 15 minutes.', 3200, 8),
];

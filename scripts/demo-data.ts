import { ConfigError, DEMO_PASSWORD, stableId } from '@shopgraph/common';

/**
 * The demo shop `npm start` seeds into an empty platform outside production: a catalog, three
 * customers and orders in every status with payments in every status. Ids are derived from names
 * so each subgraph seeds its own tables and the references still meet.
 */

/**
 * Every demo seed calls this first: the demo customers' password is published, so their accounts
 * must never exist where NODE_ENV=production, whoever asks for them.
 */
export function refuseDemoDataInProduction(nodeEnv: string): void {
  if (nodeEnv === 'production') throw new ConfigError('the demo shop is never seeded when NODE_ENV=production');
}

export interface DemoUser {
  id: string;
  email: string;
  name: string;
  password: string;
}

export interface DemoProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  /** Units on hand, reserved ones included. */
  onHand: number;
}

export type DemoOrderStatus = 'PENDING' | 'AWAITING_PAYMENT' | 'PAID' | 'CANCELLED' | 'REJECTED' | 'EXPIRED';
export type DemoPaymentStatus = 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

export interface DemoOrder {
  id: string;
  userId: string;
  status: DemoOrderStatus;
  statusReason: string | null;
  items: { productId: string; quantity: number }[];
  /** Minutes before "now" the order was placed; newest first follows from it. */
  placedMinutesAgo: number;
}

export interface DemoPayment {
  id: string;
  orderId: string;
  userId: string;
  status: DemoPaymentStatus;
  failureReason: string | null;
  cardLast4: string;
  placedMinutesAgo: number;
}

const user = (key: string, name: string): DemoUser => ({
  id: stableId(`user:${key}`),
  email: `${key}@shopgraph.local`,
  name,
  password: DEMO_PASSWORD,
});

export const demoUsers: DemoUser[] = [user('alice', 'Alice Martin'), user('bob', 'Bob Tanaka'), user('carol', 'Carol Okafor')];
const [alice, bob, carol] = demoUsers as [DemoUser, DemoUser, DemoUser];

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

const productId = (sku: string) => demoProducts.find((p) => p.sku === sku)!.id;

const order = (
  key: string,
  owner: DemoUser,
  status: DemoOrderStatus,
  items: [string, number][],
  placedMinutesAgo: number,
  statusReason: string | null = null,
): DemoOrder => ({
  id: stableId(`order:${key}`),
  userId: owner.id,
  status,
  statusReason,
  items: items.map(([sku, quantity]) => ({ productId: productId(sku), quantity })),
  placedMinutesAgo,
});

export const demoOrders: DemoOrder[] = [
  order('alice-paid', alice, 'PAID', [['MUG-BLUE', 2], ['BEANS-ETH', 1]], 60 * 24 * 3),
  order('alice-awaiting', alice, 'AWAITING_PAYMENT', [['LAMP-DSK', 1]], 5),
  order('alice-pending', alice, 'PENDING', [['NOTE-A5', 3]], 1),
  order('alice-rejected', alice, 'REJECTED', [['HOURGLASS', 20]], 60 * 24 * 2, 'Not enough stock for Hourglass timer (HOURGLASS).'),
  order('alice-expired', alice, 'EXPIRED', [['PEN-FNT', 1]], 60 * 24, 'Not paid within 15 minutes: the reservation ran out.'),
  order('alice-cancelled', alice, 'CANCELLED', [['CAP-BLK', 1]], 60 * 30),
  order('bob-paid', bob, 'PAID', [['HEADPH-WL', 1], ['CABLE-USBC', 2]], 60 * 12),
  order('bob-declined', bob, 'AWAITING_PAYMENT', [['KETTLE-GN', 1], ['GRINDER-HND', 1]], 8),
  order('carol-refunded', carol, 'CANCELLED', [['BLANKET-WL', 1]], 60 * 48),
  order('carol-processing', carol, 'AWAITING_PAYMENT', [['BACKPACK-20', 1]], 2),
];

const orderId = (key: string) => stableId(`order:${key}`);

const payment = (
  key: string,
  orderKey: string,
  owner: DemoUser,
  status: DemoPaymentStatus,
  cardLast4: string,
  placedMinutesAgo: number,
  failureReason: string | null = null,
): DemoPayment => ({
  id: stableId(`payment:${key}`),
  orderId: orderId(orderKey),
  userId: owner.id,
  status,
  failureReason,
  cardLast4,
  placedMinutesAgo,
});

export const demoPayments: DemoPayment[] = [
  payment('alice-paid', 'alice-paid', alice, 'SUCCEEDED', '4242', 60 * 24 * 3 - 1),
  payment('bob-paid', 'bob-paid', bob, 'SUCCEEDED', '4242', 60 * 12 - 1),
  payment('bob-declined', 'bob-declined', bob, 'FAILED', '0002', 7, 'card_declined'),
  payment('carol-refunded', 'carol-refunded', carol, 'REFUNDED', '4242', 60 * 48 - 1),
  payment('carol-processing', 'carol-processing', carol, 'PROCESSING', '4242', 1),
];

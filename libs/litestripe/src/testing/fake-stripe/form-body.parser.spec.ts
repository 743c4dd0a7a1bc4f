import { mergeFormParams, parseFormBody } from './form-body.parser.js';

describe('parseFormBody', () => {
  it('decodes nested bracket notation into objects and arrays', () => {
    const body =
      'customer=cus_1&items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2' +
      '&metadata[plan]=pro&subscription_data[metadata][account]=a1&expand[0]=subscription&expand[1]=customer';
    expect(parseFormBody(body)).toEqual({
      customer: 'cus_1',
      items: [{ price: 'price_1', quantity: '2' }, { price: 'price_2' }],
      metadata: { plan: 'pro' },
      subscription_data: { metadata: { account: 'a1' } },
      expand: ['subscription', 'customer'],
    });
  });

  it('keeps empty strings (Stripe unsets) and decodes percent-encoding and plus signs', () => {
    expect(parseFormBody('metadata[plan]=&description=a+b%26c&email=x%40y.z')).toEqual({
      metadata: { plan: '' },
      description: 'a b&c',
      email: 'x@y.z',
    });
    expect(parseFormBody('pause_collection=')).toEqual({ pause_collection: '' });
  });

  it('orders indices numerically and supports empty brackets as appends', () => {
    expect(parseFormBody('a[10]=k&a[2]=c&a[0]=a')).toEqual({ a: ['a', 'c', 'k'] });
    expect(parseFormBody('lookup_keys[]=pro&lookup_keys[]=basic')).toEqual({ lookup_keys: ['pro', 'basic'] });
    expect(parseFormBody('created%5Bgte%5D=5')).toEqual({ created: { gte: '5' } });
  });

  it('ignores prototype-polluting keys', () => {
    const parsed = parseFormBody('__proto__[polluted]=1&a[constructor][x]=2&ok=1');
    expect(parsed).toEqual({ ok: '1' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges query and body with the body winning', () => {
    expect(mergeFormParams(parseFormBody('a=1&b=2'), parseFormBody('b=3'))).toEqual({ a: '1', b: '3' });
  });
});

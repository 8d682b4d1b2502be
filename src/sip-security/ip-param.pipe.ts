import { BadRequestException, PipeTransform } from '@nestjs/common';
import { isIp, normalizeIp } from '../common/cidr';

/** An IP address from the path, in canonical form (`::ffff:a.b.c.d` is `a.b.c.d`); anything else is a 400. */
export class ParseIpPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isIp(value)) throw new BadRequestException('ip must be an IPv4 or IPv6 address');
    return normalizeIp(value);
  }
}

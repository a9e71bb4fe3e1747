import { isPackyardError } from '@packyard/core';
import {
  checkPythonVersion,
  parsePlatform,
  pexFileName,
  renderRequirementsIn,
  renderWrapper,
  tarballName,
  toolsVenvName,
  defaultPackyardHome,
  PINNED_TOOLS,
} from '../src/index.js';
import { expectGolden } from './helpers.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('platforms', () => {
  it('names the PEX and tarball after package, os and arch', () => {
    const p = parsePlatform('darwin-arm64');
    expect(pexFileName('aider-chat', p)).toBe('aider-chat-darwin-arm64.pex');
    expect(tarballName('aider-chat', p)).toBe('aider-chat-darwin-arm64.tar.gz');
    expect(
      isPackyardError(
        thrown(() => tarballName('../evil', p)),
        'CONFIG_INVALID',
      ),
    ).toBe(true);
  });
});

describe('renderWrapper', () => {
  it('matches the golden script', async () => {
    await expectGolden('wait-for-it.wrapper', renderWrapper('wait-for-it', 'wait-for-it-linux-amd64.pex'));
  });

  it('refuses names that would need shell quoting', () => {
    for (const bad of ['a b', '$(rm -rf /)', 'x;y', "it's", '', '..', 'a/b']) {
      expect(
        isPackyardError(
          thrown(() => renderWrapper(bad, 'p.pex')),
          'CONFIG_INVALID',
        ),
      ).toBe(true);
      expect(
        isPackyardError(
          thrown(() => renderWrapper('ok', bad)),
          'CONFIG_INVALID',
        ),
      ).toBe(true);
    }
  });
});

describe('renderRequirementsIn', () => {
  it('pins the package, then one extra per line', async () => {
    expect(renderRequirementsIn({ package: 'wait-for-it', version: '2.3.0' })).toBe('wait-for-it==2.3.0\n');
    await expectGolden(
      'aider-chat.requirements.in',
      renderRequirementsIn({
        package: 'aider-chat',
        version: '0.83.1',
        extraPackages: ['playwright', ' click<8.2 '],
      }),
    );
  });

  it('refuses what is not a name, a version or a requirement', () => {
    const bad = [
      { package: 'x y', version: '1' },
      { package: 'x', version: '1 ; os_name == "nt"' },
      { package: 'x', version: '' },
      { package: 'x', version: '1', extraPackages: ['a\nb'] },
      { package: 'x', version: '1', extraPackages: ['--index-url=http://evil'] },
      { package: 'x', version: '1', extraPackages: ['  '] },
    ];
    for (const input of bad)
      expect(
        isPackyardError(
          thrown(() => renderRequirementsIn(input)),
          'CONFIG_INVALID',
        ),
      ).toBe(true);
  });
});

describe('small helpers', () => {
  it('accepts only X.Y python versions', () => {
    expect(checkPythonVersion('3.10')).toBe('3.10');
    for (const bad of ['3', '3.1.2', 'py3.11', 3.1 as unknown as string]) {
      expect(
        isPackyardError(
          thrown(() => checkPythonVersion(bad)),
          'CONFIG_INVALID',
        ),
      ).toBe(true);
    }
  });

  it('names the tools venv after the interpreter and both pins', () => {
    expect(toolsVenvName('3.11', PINNED_TOOLS)).toBe('py3.11-pex2.105.2-uv0.13.9');
  });

  it('takes the home from PACKYARD_HOME, else ~/.cache/packyard', () => {
    expect(defaultPackyardHome({ PACKYARD_HOME: '/srv/py' }, '/home/u')).toBe('/srv/py');
    expect(defaultPackyardHome({}, '/home/u')).toBe('/home/u/.cache/packyard');
    expect(defaultPackyardHome({ PACKYARD_HOME: '' }, '/home/u')).toBe('/home/u/.cache/packyard');
  });
});

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {HoneypotToken} from "./HoneypotToken.sol";
import {MemeToken} from "./MemeToken.sol";
import {TaxToken} from "./TaxToken.sol";

/// @title TokenLauncher
/// @notice Deploys meme tokens: the caller receives the whole supply. Plain tokens, tax tokens and
///         honeypots all announce themselves with the same `TokenCreated` event.
/// @dev `factory` and `wcore` are handed to the tax and honeypot tokens so they can find their pair.
contract TokenLauncher {
    address public immutable factory;
    address public immutable wcore;
    address[] public allTokens;

    event TokenCreated(address indexed token, address indexed creator, string name, string symbol, uint256 totalSupply);

    constructor(address factory_, address wcore_) {
        factory = factory_;
        wcore = wcore_;
    }

    function createToken(string calldata name, string calldata symbol, uint256 totalSupply)
        external
        returns (address token)
    {
        token = address(new MemeToken(name, symbol, totalSupply, msg.sender));
        _created(token, name, symbol, totalSupply);
    }

    /// @notice A token taxing buys and sells on its WCORE pair (basis points, paid to the caller).
    function createTaxToken(
        string calldata name,
        string calldata symbol,
        uint256 totalSupply,
        uint16 buyTaxBps,
        uint16 sellTaxBps
    ) external returns (address token) {
        token = address(new TaxToken(name, symbol, totalSupply, msg.sender, factory, wcore, buyTaxBps, sellTaxBps));
        _created(token, name, symbol, totalSupply);
    }

    /// @notice A token only the caller can sell to its WCORE pair.
    function createHoneypotToken(string calldata name, string calldata symbol, uint256 totalSupply)
        external
        returns (address token)
    {
        token = address(new HoneypotToken(name, symbol, totalSupply, msg.sender, factory, wcore));
        _created(token, name, symbol, totalSupply);
    }

    function allTokensLength() external view returns (uint256) {
        return allTokens.length;
    }

    function _created(address token, string calldata name, string calldata symbol, uint256 totalSupply) private {
        allTokens.push(token);
        emit TokenCreated(token, msg.sender, name, symbol, totalSupply);
    }
}
